package vigil.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static vigil.testing.ServiceDirs.awaitRestarted;
import static vigil.testing.ServiceDirs.awaitRunning;
import static vigil.testing.ServiceDirs.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vigil.control.ControlLimits;
import vigil.testing.Await;
import vigil.testing.DaemonProcess;
import vigil.testing.Nobody;
import vigil.testing.RawControl;
import vigil.testing.Tools;

/**
 * Uid 65534 floods a root daemon's control socket (a python client under setpriv holds the sockets), and the
 * daemon stays small, calm and at root's service: what it holds for one user is bounded, it never spins, and
 * root's {@code status} answers within a second all the while.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FloodIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration ROOT_ANSWERS_WITHIN = Duration.ofSeconds(1);
    /** Twice the daemon's fd limit in {@link #idleConnectionsBeyondTheFdLimitCostNoCpu}; 64 MiB of buffers if
     * they were all read: modest for the machine, far past every limit. */
    private static final int CONNECTIONS = 1000;
    /** The system's python, which uid 65534 can run (a pyenv shim under /root cannot be). */
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path sandbox;
    private Path services;
    private Path socket;
    private DaemonProcess daemon;
    private final List<Process> clients = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        Nobody.require();
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON);
        Tools.require("prlimit", "util-linux");
        Nobody.letIn(sandbox);
        services = Files.createDirectories(sandbox.resolve("sv"));
        service(services, "victim", "exec sleep 1000");
        socket = sandbox.resolve("run/control");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process client : clients) {
            client.destroyForcibly();
            client.waitFor(10, TimeUnit.SECONDS);
        }
        if (daemon != null) daemon.close();
    }

    private void startDaemon(List<String> wrapper) throws IOException {
        daemon = DaemonProcess.start(sandbox, Map.of(), wrapper, "daemon", "--control", socket.toString(),
                services.toString());
        awaitRunning(services.resolve("victim"), WAIT);
        Await.until("the control socket", WAIT, () -> Files.exists(socket));
    }

    @Test
    void longLinesWithNoNewlineOnManyConnectionsLeaveTheMemoryBounded() throws Exception {
        startDaemon(List.of());
        assertRootServedInTime();
        long before = rssKib();
        Client flood = flood("hold", socket.toString(), Integer.toString(CONNECTIONS), "65000");
        assertEquals("connected " + CONNECTIONS, flood.line());
        assertRootServedInTime();
        Await.until("the daemon to have taken what it takes of the flood", WAIT,
                () -> flood.ask("count").equals("open " + ControlLimits.DEFAULT_CONNECTIONS_PER_USER));
        // What one uid can make the daemon hold is its connections' input buffers: 64 of them, each at most a
        // line (64 KiB), so 4 MiB; with the garbage of their growth and the heap's slack, 32 MiB is ample.
        // Unbounded, the 1000 connections hold 64 MiB of live buffers.
        long grown = rssKib() - before;
        System.out.println("FloodIT: RSS " + before + " KiB before the flood, grew by " + grown + " KiB");
        assertTrue(grown < 32 * 1024, "RSS grew by " + grown + " KiB under the flood");
        assertRootServedInTime();
        assertEquals(0, daemon.countLines("OutOfMemoryError"), String.join("\n", daemon.lines()));
        assertTrue(daemon.countLines("refused a connection") <= 3, "refusals are said a few times, then counted:\n"
                + String.join("\n", daemon.lines()));
    }

    @Test
    void idleConnectionsBeyondTheFdLimitCostNoCpu() throws Exception {
        // The daemon must not raise its limit back, as root with CAP_SYS_RESOURCE would.
        startDaemon(List.of("prlimit", "--nofile=512:512", "setpriv", "--bounding-set=-sys_resource", "--"));
        long victim = awaitRunning(services.resolve("victim"), WAIT);
        Client flood = flood("hold", socket.toString(), Integer.toString(CONNECTIONS), "0");
        assertEquals("connected " + CONNECTIONS, flood.line());
        long cpuBefore = cpuTicks();
        long wallBefore = System.nanoTime();
        assertRootServedInTime();
        Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(victim)).inheritIO().start();
        assertEquals(0, kill.waitFor());
        awaitRestarted(services.resolve("victim"), victim, WAIT);
        Await.until("three seconds of flood", Duration.ofSeconds(10),
                () -> System.nanoTime() - wallBefore > Duration.ofSeconds(3).toNanos());
        assertRootServedInTime();
        long cpuMillis = (cpuTicks() - cpuBefore) * 10;
        long wallMillis = (System.nanoTime() - wallBefore) / 1_000_000;
        System.out.println("FloodIT: " + cpuMillis + " ms of CPU in " + wallMillis + " ms of idle flood");
        // A spin on accept's EMFILE takes a whole core; a daemon with nothing to do takes next to nothing. The
        // restart and root's requests cost a few tens of ms.
        assertTrue(cpuMillis < wallMillis / 5, cpuMillis + " ms of CPU in " + wallMillis + " ms");
        assertEquals("open " + ControlLimits.DEFAULT_CONNECTIONS_PER_USER, flood.ask("count"));
    }

    @Test
    void aFloodOfRequestsFromOneUidIsSlowedToItsRateWhileRootIsServed() throws Exception {
        startDaemon(List.of());
        Client flood = flood("requests", socket.toString(), "8", "500", "3");
        assertEquals("sending", flood.line());
        for (int i = 0; i < 3; i++) assertRootServedInTime();
        String[] result = flood.line().split(" ");
        long replies = Long.parseLong(result[1]);
        double seconds = Double.parseDouble(result[3]);
        System.out.println("FloodIT: " + replies + " replies to uid 65534 in " + seconds + " s");
        long allowed = ControlLimits.DEFAULT_REQUEST_BURST
                + Math.round(ControlLimits.DEFAULT_REQUESTS_PER_SECOND * seconds) + 10;
        assertTrue(replies >= ControlLimits.DEFAULT_REQUEST_BURST, "served, only slowed: " + replies + " replies");
        assertTrue(replies <= allowed, replies + " replies in " + seconds + " s; at most " + allowed + " allowed");
    }

    /** Root's status, over a new connection, answers within a second. */
    private void assertRootServedInTime() throws Exception {
        long start = System.nanoTime();
        try (RawControl root = new RawControl(socket)) {
            // A daemon that never accepts the connection would leave the read blocked: wait a little longer than
            // allowed, then close the socket, which ends the read.
            CompletableFuture<Map<String, Object>> reply = CompletableFuture.supplyAsync(() -> {
                try {
                    return root.call("{\"v\":1,\"cmd\":\"status\"}");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Map<String, Object> answer;
            try {
                answer = reply.get(ROOT_ANSWERS_WITHIN.toMillis() * 5, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("root's status got no answer in " + ROOT_ANSWERS_WITHIN.multipliedBy(5));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(answer != null && answer.get("ok") == Boolean.TRUE, "root's status: " + answer);
            assertTrue(took.compareTo(ROOT_ANSWERS_WITHIN) < 0, "root's status took " + took);
            System.out.println("FloodIT: root's status took " + took.toMillis() + " ms");
        }
    }

    /** The daemon's resident memory, from /proc/PID/status. */
    private long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IOException("no VmRSS for " + daemon.pid());
    }

    /** The daemon's utime + stime in clock ticks (100 a second), from /proc/PID/stat. */
    private long cpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + daemon.pid() + "/stat"));
        // After "pid (comm) " come state (field 3 of proc(5)) onwards: utime is field 14, stime 15.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The hostile client (src/test/resources/vigil/security/flood.py), as uid 65534. */
    private Client flood(String... args) throws IOException {
        Path script = sandbox.resolve("flood.py");
        try (InputStream in = FloodIT.class.getResourceAsStream("flood.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(Nobody.command(command.toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        clients.add(p);
        return new Client(p);
    }

    /** Talks with the client by lines. */
    private record Client(BufferedReader out, Writer in) {
        Client(Process process) {
            this(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)),
                    new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        }

        String line() throws IOException {
            String line = out.readLine();
            if (line == null) throw new IOException("the flood client ended early");
            return line;
        }

        /** A question and its answer (unchecked, so that {@link Await} can poll it). */
        String ask(String question) {
            try {
                in.write(question + "\n");
                in.flush();
                return line();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
