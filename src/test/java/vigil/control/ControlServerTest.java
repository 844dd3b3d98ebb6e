package vigil.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.loop.ReportLimiter;
import vigil.os.Errno;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.testing.Await;
import vigil.testing.LoopThread;
import vigil.testing.Nobody;

/**
 * The control server out of file descriptors, in this process: its open-files limit is lowered for the test (and
 * put back) so that the server's accept fails with EMFILE while clients (python, as uid 65534 and as root) wait.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlServerTest {
    private static final String PYTHON = "/usr/bin/python3";
    /** Fds left free for the server's accepts once the limit is lowered. */
    private static final int FREE_FDS = 8;
    private static final int CLIENTS = 300;

    @TempDir
    Path dir;
    private LoopThread loop;
    private ControlServer server;
    private final List<String> said = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (server != null) loop.call(() -> {
            server.close();
            return null;
        });
        if (loop != null) loop.close();
    }

    /** Answers every line with ok. */
    private static final class Answering implements ControlServer.LineHandler {
        @Override
        public void line(ControlServer.Client client, String line) {
            client.send(Protocol.ok(null));
        }

        @Override
        public void closed(ControlServer.Client client) {}
    }

    @Test
    void outOfFdsTheListenerRestsInsteadOfSpinningAndRootStillGetsIn() throws Exception {
        Nobody.require();
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON);
        Nobody.letIn(dir);
        loop = new LoopThread("control-under-test");
        Path socket = dir.resolve("control");
        // Limits far above the flood: what is tested is the fd shortage alone.
        ControlLimits roomy = new ControlLimits(10_000, 10_000, 1L << 30, 10_000, 10_000, 10_000);
        server = loop.call(() -> ControlServer.open(loop.loop(), socket, new Answering(), said::add, roomy));
        long loopThread = loop.call(() -> Thread.currentThread().threadId());
        Client flood = client(true, "hold", socket.toString(), Integer.toString(CLIENTS), "0", "go");
        Client root = client(false, "probe", socket.toString());
        // Out of fds, no class could be loaded from test-classes/ (the daemon's are in its open jar): load what
        // the server and this test use while there are fds.
        Client warmUp = client(false, "probe", socket.toString());
        warmUp.say("go");
        assertTrue(warmUp.line().contains("\"ok\":true"));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        threads.getThreadCpuTime(loopThread);
        Await.until("an fd to be free", Duration.ofSeconds(1), ControlServerTest::anFdIsFree);
        assertTrue(new OsException("accept4", Errno.EMFILE).getMessage().contains("accept4"));
        assertEquals("busy", Protocol.Error.BUSY.code());
        new ReportLimiter(Duration.ofSeconds(1), 1, (delay, task) -> {}, (key, unsaid, interval) -> {}).allow("x");
        loop.call(() -> loop.loop().schedule(Duration.ZERO, () -> {}));

        Rlimits.Limit before = Rlimits.openFiles();
        try {
            Rlimits.setOpenFiles(new Rlimits.Limit(limitLeaving(FREE_FDS), before.hard()));
            flood.say("go");
            assertEquals("connected " + CLIENTS, flood.line());
            Await.until("the server to have taken every free fd", Duration.ofSeconds(10), () -> !anFdIsFree());
            long cpuBefore = threads.getThreadCpuTime(loopThread);
            long wallBefore = System.nanoTime();
            root.say("go");
            Await.until("two seconds of shortage", Duration.ofSeconds(5),
                    () -> System.nanoTime() - wallBefore > Duration.ofSeconds(2).toNanos());
            long cpu = threads.getThreadCpuTime(loopThread) - cpuBefore;
            long wall = System.nanoTime() - wallBefore;
            // A spin on EMFILE keeps the loop thread on a core the whole time.
            assertTrue(cpu < wall / 10, "the loop took " + cpu / 1_000_000 + " ms of CPU in " + wall / 1_000_000
                    + " ms out of fds");
            String reply = root.line();
            assertTrue(reply.contains("\"ok\":true"), reply);
            long rootMillis = Long.parseLong(reply.split(" ")[1]);
            assertTrue(rootMillis < 2000, "root got in after " + rootMillis + " ms");
        } finally {
            Rlimits.setOpenFiles(before);
        }
        long saidShort = said.stream().filter(l -> l.startsWith("control: out of file descriptors")).count();
        assertTrue(saidShort >= 1 && saidShort <= 3,
                String.join("\n", said));
        // Fds again: the listener is watched again, and a client gets in.
        Client later = client(false, "probe", socket.toString());
        later.say("go");
        assertTrue(later.line().contains("\"ok\":true"));
        assertEquals(List.of(), loop.errors());
    }

    /** Whether this process can open one more fd now (and closes it again). */
    private static boolean anFdIsFree() {
        try {
            Fds.close(Fds.open(Path.of("/dev/null"), Fds.O_RDONLY, 0));
            return true;
        } catch (OsException e) {
            return false;
        }
    }

    /**
     * The soft limit at which exactly {@code free} fd numbers below it are unused: new fds take the lowest free
     * number, so the next {@code free} opens succeed and the one after fails with EMFILE.
     */
    private static long limitLeaving(int free) throws IOException {
        Set<Integer> open = new TreeSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(p -> open.add(Integer.parseInt(p.getFileName().toString())));
        }
        int unused = 0;
        int limit = 0;
        while (unused < free) if (!open.contains(limit++)) unused++;
        return limit;
    }

    private Client client(boolean asNobody, String... args) throws IOException {
        Path script = dir.resolve("flood.py");
        if (!Files.exists(script)) {
            try (InputStream in = ControlServerTest.class.getResourceAsStream("/vigil/security/flood.py")) {
                Files.write(script, in.readAllBytes());
            }
        }
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(asNobody ? Nobody.command(command.toArray(String[]::new)) : command)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        return new Client(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
    }

    private record Client(BufferedReader out, Writer in) {
        String line() throws IOException {
            String line = out.readLine();
            if (line == null) throw new IOException("the client ended early");
            return line;
        }

        void say(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
        }
    }
}
