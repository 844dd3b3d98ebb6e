package vigil.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vigil.testing.Await;
import vigil.testing.Tools;

/**
 * A real Debian 12 system booted straight into vigil init under qemu: src/test/vm/vm-test.sh does the work (the
 * root, built once with debootstrap and cached under target/vm; the disk image; three boots) and says what it saw
 * in "VMTEST" lines, which this test checks. In a whole-suite build the pom's vm-test profile has started it as a
 * background job at the start of the build (src/test/vm/vm-ci.sh), so that it overlaps the rest of the suite: this
 * test then waits for that job's result. Otherwise (VmIT named with -Dit.test) it runs the script itself, where
 * the root is built already or with {@code -Dvigil.vm=run}; {@code -Dvigil.vm=skip} leaves it out.
 */
class VmIT {
    /**
     * A hang detector, not CI's budget: with the machine's 2 cores loaded by other builds (load 30), one boot under
     * TCG took up to 10 minutes and the root's build 8 to 14.
     */
    private static final long LIMIT_MINUTES = 45;

    @Test
    void debianBootsStraightIntoVigilAndEveryEndingLeavesACleanDisk() throws Exception {
        String mode = System.getProperty("vigil.vm", "");
        assumeTrue(!"skip".equals(mode), "-Dvigil.vm=skip");
        Path checkout = Path.of(System.getProperty("vigil.launcher")).getParent();
        Path cache = checkout.resolve("target/vm");
        String job = System.getProperty("vigil.vm.job");
        List<String> lines = job != null && Files.exists(Path.of(job, "job.pid"))
                ? backgroundJob(Path.of(job))
                : runHere(checkout, cache, mode);
        for (String expected : List.of("VMTEST VMCHECK nginx ok", "VMTEST VMCHECK sshd ok",
                "VMTEST VMCHECK cron ok", "VMTEST VMCHECK nginx killed: no process left",
                "VMTEST reboot: nginx.service failed after kill -9 of its master",
                "VMTEST reboot: file system clean", "VMTEST cad: file system clean",
                "VMTEST poweroff: file system clean", "VMTEST passed")) {
            assertTrue(lines.contains(expected), expected + " missing:\n" + String.join("\n", lines));
        }
    }

    /** Waits for the job vm-ci.sh started with the build: its exit code in job.rc, its output in job.log. */
    private static List<String> backgroundJob(Path cache) throws Exception {
        Path rc = cache.resolve("job.rc");
        long pid = Long.parseLong(Files.readString(cache.resolve("job.pid")).strip());
        // The job writes its result before it exits: gone without one, it crashed.
        Await.until("the VM job's result (" + rc + ")", Duration.ofMinutes(LIMIT_MINUTES),
                () -> Files.exists(rc) || ProcessHandle.of(pid).isEmpty());
        List<String> lines = Files.readAllLines(cache.resolve("job.log"));
        lines.forEach(System.out::println);
        assertTrue(Files.exists(rc), "the VM job ended with no result:\n" + String.join("\n", lines));
        assertEquals("0", Files.readString(rc).strip(), String.join("\n", lines));
        return lines;
    }

    /** Runs vm-test.sh in this test, where the root is built already or when asked to build it. */
    private static List<String> runHere(Path checkout, Path cache, String mode) throws Exception {
        // Building the root (debootstrap) takes minutes on 2 cores, the boots under TCG as long again: outside a
        // whole-suite build, whose job does it beside the other tests, the test runs where the root is built
        // already, or when asked to build it.
        assumeTrue("run".equals(mode) || Files.exists(cache.resolve("root.done")),
                "the VM test's Debian root is not built: ./mvnw verify -Dvigil.vm=run builds it (debootstrap, "
                        + "cached under target/vm) and runs the test");
        assumeTrue("root".equals(System.getProperty("user.name")), "debootstrap and mknod need root");
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        Tools.require("debootstrap", "debootstrap");
        Tools.require("busybox", "busybox-static");
        Files.createDirectories(cache);
        Path log = cache.resolve("vm-test.log");

        Process test = new ProcessBuilder(checkout.resolve("src/test/vm/vm-test.sh").toString(), checkout.toString(),
                cache.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = test.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES);
            List<String> lines = Files.readAllLines(log);
            lines.forEach(System.out::println);
            assertTrue(ended, "the VM test did not end within " + LIMIT_MINUTES + " minutes");
            assertEquals(0, test.exitValue(), String.join("\n", lines));
            return lines;
        } finally {
            // qemu and the rest of the script's children first: they are not the script's to clean up once it
            // is killed.
            test.descendants().forEach(ProcessHandle::destroyForcibly);
            test.destroyForcibly();
            test.waitFor();
        }
    }
}
