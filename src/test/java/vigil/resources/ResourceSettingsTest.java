package vigil.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import vigil.model.ResourceLimits;

/** systemd's resource-control syntax, directive by directive, and what it refuses. */
class ResourceSettingsTest {
    private static final ResourceSettings.Machine MACHINE = new ResourceSettings.Machine(8L << 30, 4_194_304);

    private static ResourceLimits read(String... assignments) throws BadResourceValue {
        var settings = new ResourceSettings(MACHINE);
        for (String a : assignments) {
            int eq = a.indexOf('=');
            settings.set(a.substring(0, eq), a.substring(eq + 1));
        }
        return settings.build();
    }

    private static String refusal(String assignment) {
        return assertThrows(BadResourceValue.class, () -> read(assignment), assignment).getMessage();
    }

    @Test
    void memorySizesTakeSystemdsSuffixesPercentagesAndInfinity() throws Exception {
        assertEquals(OptionalLong.of(50L << 20), read("MemoryMax=50M").memoryMax());
        assertEquals(OptionalLong.of(1536L << 20), read("MemoryMax=1.5G").memoryMax());
        assertEquals(OptionalLong.of((1L << 30) + (512L << 20)), read("MemoryHigh=1G 512M").memoryHigh());
        assertEquals(OptionalLong.of(4096), read("MemoryLow=4K").memoryLow());
        assertEquals(OptionalLong.of(2L << 40), read("MemoryMin=2T").memoryMin());
        assertEquals(OptionalLong.of(123), read("MemoryMax=123").memoryMax());
        assertEquals(OptionalLong.of(4L << 30), read("MemoryMax=50%").memoryMax());
        assertEquals(OptionalLong.of((8L << 30) * 255 / 1000), read("MemoryMax=25.5%").memoryMax());
        assertEquals(OptionalLong.of(ResourceLimits.INFINITY), read("MemoryMax=infinity").memoryMax());
        assertEquals(OptionalLong.of(0), read("MemorySwapMax=0").memorySwapMax());
        assertEquals(OptionalLong.of(0), read("MemoryLow=0").memoryLow());
        assertEquals(OptionalLong.empty(), read("MemoryMax=50M", "MemoryMax=").memoryMax());
    }

    @Test
    void badMemoryValuesAreRefusedSayingWhy() {
        assertTrue(refusal("MemoryMax=lots").contains("'lots' is not a size"));
        assertTrue(refusal("MemoryMax=50X").contains("unknown size suffix 'X'"));
        assertTrue(refusal("MemoryMax=-5M").contains("not a size"));
        assertTrue(refusal("MemoryMax=0").contains("0 is not allowed"));
        assertTrue(refusal("MemoryHigh=0%").contains("0 is not allowed"));
        assertTrue(refusal("MemoryMax=150%").contains("within 0%..100%"));
        assertTrue(refusal("MemoryMax=99999999E").contains("too large"));
    }

    @Test
    void cpuQuotaWeightAndAllowedCpus() throws Exception {
        assertEquals(OptionalLong.of(200_000), read("CPUQuota=20%").cpuQuotaMicrosPerSecond());
        assertEquals(OptionalLong.of(1_500_000), read("CPUQuota=150%").cpuQuotaMicrosPerSecond());
        assertEquals(OptionalLong.of(125_000), read("CPUQuota=12.5%").cpuQuotaMicrosPerSecond());
        assertEquals(OptionalLong.of(500), read("CPUWeight=500").cpuWeight());
        assertEquals(OptionalLong.of(ResourceLimits.IDLE_WEIGHT), read("CPUWeight=idle").cpuWeight());
        assertEquals(Optional.of("0-3,5,7-8"), read("AllowedCPUs=0-3 5,7 8").allowedCpus());
        assertTrue(refusal("CPUQuota=0%").contains("more than 0%"));
        assertTrue(refusal("CPUQuota=20").contains("not a percentage"));
        assertTrue(refusal("CPUWeight=0").contains("weight from 1 to 10000"));
        assertTrue(refusal("CPUWeight=10001").contains("weight from 1 to 10000"));
        assertTrue(refusal("AllowedCPUs=3-1").contains("'3-1' is not a CPU number or range"));
    }

    @Test
    void tasksIoAndDevices() throws Exception {
        assertEquals(OptionalLong.of(16), read("TasksMax=16").tasksMax());
        assertEquals(OptionalLong.of(419_430), read("TasksMax=10%").tasksMax());
        assertEquals(OptionalLong.of(ResourceLimits.INFINITY), read("TasksMax=infinity").tasksMax());
        assertTrue(refusal("TasksMax=0").contains("at least 1"));
        assertEquals(OptionalLong.of(200), read("IOWeight=200").ioWeight());
        assertTrue(refusal("IOWeight=0").contains("weight"));
        assertEquals(List.of(new ResourceLimits.Bandwidth("/dev/sda", 5_000_000),
                        new ResourceLimits.Bandwidth("/var", 2_000)),
                read("IOReadBandwidthMax=/dev/sda 5M", "IOReadBandwidthMax=/var 2K").ioReadBandwidthMax());
        assertEquals(List.of(), read("IOWriteBandwidthMax=/dev/sda 1M", "IOWriteBandwidthMax=")
                .ioWriteBandwidthMax());
        assertTrue(refusal("IOReadBandwidthMax=sda 5M").contains("not an absolute path"));
        assertTrue(refusal("IOReadBandwidthMax=/dev/sda").contains("needs a device path and a rate"));
        assertEquals(List.of(new ResourceLimits.DeviceRule("/dev/null", "rw"),
                        new ResourceLimits.DeviceRule("char-pts", "rwm")),
                read("DeviceAllow=/dev/null wr", "DeviceAllow=char-pts").deviceAllow());
        assertEquals(ResourceLimits.DevicePolicy.CLOSED, read("DevicePolicy=closed").devicePolicy());
        assertTrue(refusal("DeviceAllow=/dev/null rx").contains("'rx' is not a device access"));
        assertTrue(refusal("DeviceAllow=/etc/passwd").contains("not a /dev path"));
        assertTrue(refusal("DevicePolicy=open").contains("auto, closed, strict"));
    }

    @Test
    void delegationSlicesAndOomPolicy() throws Exception {
        assertTrue(read("Delegate=yes").delegate());
        assertTrue(read("Delegate=memory pids").delegate());
        assertEquals(false, read("Delegate=yes", "Delegate=no").delegate());
        assertTrue(refusal("Delegate=maybe").contains("not a boolean or a controller"));
        assertEquals(Optional.of("web-front.slice"), read("Slice=web-front.slice").slice());
        assertEquals(Optional.of("-.slice"), read("Slice=-.slice").slice());
        assertTrue(refusal("Slice=web.service").contains("not a slice unit name"));
        assertTrue(refusal("Slice=a--b.slice").contains("dashes"));
        assertEquals(ResourceLimits.OomPolicy.KILL, read("OOMPolicy=kill").oomPolicy());
        assertEquals(ResourceLimits.OomPolicy.STOP, read("OOMPolicy=continue", "OOMPolicy=").oomPolicy());
        assertTrue(refusal("OOMPolicy=ignore").contains("continue, stop, kill"));
    }

    @Test
    void slicesNestByTheirDashesAsSystemdDoes() {
        assertEquals("vigil.slice/web.service", SlicePath.service("web.service", Optional.empty()));
        assertEquals("vigil.slice/web.service", SlicePath.service("web.service", Optional.of("-.slice")));
        assertEquals("vigil.slice/system.slice/web.service",
                SlicePath.service("web.service", Optional.of("system.slice")));
        assertEquals("vigil.slice/a.slice/a-b.slice/a-b-c.slice/web.service",
                SlicePath.service("web.service", Optional.of("a-b-c.slice")));
        assertEquals("vigil-7.slice/a.slice/a-b.slice/web.service",
                SlicePath.service("web.service", Optional.of("a-b.slice"), "vigil-7.slice"));
        assertEquals("vigil-7.slice/a.slice/a-b.slice", SlicePath.slice(Optional.of("a-b.slice"), "vigil-7.slice"));
    }
}
