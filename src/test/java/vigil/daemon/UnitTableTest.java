package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.deps.DirectoryNodes;
import vigil.deps.Job;
import vigil.deps.JobListener;
import vigil.deps.JobResult;
import vigil.os.FileSystem;
import vigil.service.Service;
import vigil.service.Supervisor;
import vigil.socket.SocketUnits;
import vigil.testing.LoopThread;
import vigil.unit.Accounts;

class UnitTableTest {
    @TempDir
    Path dir;

    /**
     * The unit's User= is looked up in a passwd file that is a FIFO: the read blocks until the test writes it, as a
     * big unit file or a slow disk would hold it up. A reload on the loop thread would hold the loop as long, and
     * the timer behind it would not run. The unit then fails to map (no such user), so the supervisor, which this
     * test does not give anything to run with, is never asked to start it.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSlowReadOfTheUnitFilesDoesNotHoldUpTheLoop() throws Exception {
        Path units = Files.createDirectories(dir.resolve("units"));
        Files.writeString(units.resolve("slow.service"), "[Service]\nExecStart=/bin/true\nUser=alice\n");
        Path passwd = dir.resolve("passwd");
        FileSystem.mkfifo(passwd, 0600);
        var said = new ByteArrayOutputStream();
        try (LoopThread thread = new LoopThread("unit-table-test")) {
            var table = new UnitTable(new Supervisor(null, null, null, null, null),
                    new Reporter(new PrintStream(said, true, StandardCharsets.UTF_8)), List.of(units), thread.loop(),
                    new Accounts(passwd, dir.resolve("group")), () -> false, (name, file) -> false, spec -> false,
                    Optional.empty(),
                    new JobListener() {
                        @Override
                        public void finished(Job job, JobResult result) {}

                        @Override
                        public void say(String unit, String message) {}
                    }, new SocketUnits(thread.loop(), null, null, null, (unit, message) -> {}, System::nanoTime),
                    new DirectoryNodes(), Service::stop);
            var summary = new CompletableFuture<String>();
            var timerRan = new CountDownLatch(1);
            thread.loop().execute(() -> {
                table.reload(summary::complete);
                thread.loop().schedule(Duration.ZERO, timerRan::countDown);
            });
            try {
                assertTrue(timerRan.await(20, TimeUnit.SECONDS), "the reload held the loop up");
                assertFalse(summary.isDone(), "the reload ended before its read could");
            } finally {
                // Opening the FIFO waits for its reader, which is blocked opening it: the read goes on.
                writePasswd(passwd);
            }
            assertEquals("0 added, 0 changed, 0 removed, 1 failed to load", summary.get(20, TimeUnit.SECONDS));
            assertTrue(said.toString(StandardCharsets.UTF_8).contains("slow.service: cannot run: User=: unknown user "
                    + "'alice'"), said::toString);
            assertEquals(List.of(), thread.errors());
        }
    }

    private static void writePasswd(Path fifo) throws IOException {
        Files.writeString(fifo, "root:x:0:0:root:/root:/bin/sh\n");
    }
}
