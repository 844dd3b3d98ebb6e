package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiskReleaseTest {
    private final FakeInitOs os = new FakeInitOs();
    private final List<String> said = new ArrayList<>();
    private final Stages stages = new Stages(os, said::add);

    private List<String> changes() {
        return os.calls.stream().filter(call -> !call.equals("read mounts")).toList();
    }

    @Test
    void mountsGoNewestFirstKernelFileSystemsStayAndTheRootEndsReadOnly() {
        os.mount("/", "ext4");
        os.mount("/proc", "proc");
        os.mount("/sys", "sysfs");
        os.mount("/home", "ext4");
        os.mount("/home/user", "ext4");
        os.mount("/var", "xfs");

        stages.releaseDisks();

        assertEquals(List.of("unmount /var", "unmount /home/user", "unmount /home", "remount read-only /"),
                changes());
        assertEquals(List.of(new MountPoint("/", "ext4", true), new MountPoint("/proc", "proc", false),
                new MountPoint("/sys", "sysfs", false)), os.mountsLeft());
        assertEquals(List.of("unmounted /var", "unmounted /home/user", "unmounted /home", "remounted / read-only"),
                said);
    }

    @Test
    void aLoopDevicesFileSystemThenTheLoopThenTheDiskItsFileIsOn() {
        os.mount("/", "ext4");
        os.mount("/data", "ext4");
        os.mount("/mnt/image", "ext4");
        os.loop("/dev/loop0", "/data", "/mnt/image");
        os.swap("/data/swapfile");

        stages.releaseDisks();

        assertEquals(List.of(
                // Round 1: /data holds the loop's backing file, so it only goes read-only for now.
                "unmount /mnt/image", "unmount /data", "remount read-only /data", "remount read-only /",
                "swapoff /data/swapfile", "detach /dev/loop0",
                // Round 2: free now. Round 3 changes nothing: the end.
                "unmount /data"), changes());
        assertEquals(List.of(new MountPoint("/", "ext4", true)), os.mountsLeft());
    }

    @Test
    void aMountBusyForeverIsLeftReadOnlyAndTheRoundsEnd() {
        os.mount("/", "ext4");
        os.mount("/srv", "ext4");
        os.busy("/srv", true);
        os.mount("/stuck", "ext4");
        os.busy("/stuck", true);
        os.stuckReadWrite("/stuck");

        stages.releaseDisks();

        assertEquals(List.of(new MountPoint("/", "ext4", true), new MountPoint("/srv", "ext4", true),
                new MountPoint("/stuck", "ext4", false)), os.mountsLeft());
        assertEquals("/stuck: still mounted read-write", said.getLast());
    }

    @Test
    void aContainersInitLeavesTheMountsAlone() {
        os.machineInit = false;
        os.mount("/", "overlay");
        os.mount("/data", "ext4");

        stages.releaseDisks();

        assertEquals(List.of(), os.calls);
    }

    @Test
    void theMountTableIsReadAsTheKernelWritesIt() {
        String mountinfo = """
                22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
                23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
                40 22 252:2 / /mnt/my\\040disk ro,relatime - ext4 /dev/vdb rw
                41 22 252:3 / /srv rw,relatime - ext4 /dev/vdc ro
                garbage
                """;

        assertEquals(List.of(new MountPoint("/", "ext4", false), new MountPoint("/proc", "proc", false),
                new MountPoint("/mnt/my disk", "ext4", true), new MountPoint("/srv", "ext4", true)),
                MountPoint.parse(mountinfo));
    }

    @Test
    void aFailedBootRunsTheFirstEmergencyShellThereIsAndGoesOn() {
        os.script(Path.of("/bin/sh"), 7_000_000_000L, 0);

        stages.emergencyShell();

        assertEquals(List.of("start /bin/sh"), os.calls);
        assertEquals(7_000_000_000L, os.nanoTime(), "waited for the shell to exit");
        assertEquals("the emergency shell exited; going on with the boot", said.getLast());
    }

    @Test
    void suloginComesFirst() {
        os.script(Path.of("/bin/sh"), 1, 0);
        os.script(Path.of("/sbin/sulogin"), 1, 0);

        stages.emergencyShell();

        assertEquals(List.of("start /sbin/sulogin"), os.calls);
    }

    @Test
    void aContainersInitHasNoEmergencyShell() {
        os.machineInit = false;
        os.script(Path.of("/bin/sh"), 1, 0);

        stages.emergencyShell();

        assertEquals(List.of(), os.calls);
    }
}
