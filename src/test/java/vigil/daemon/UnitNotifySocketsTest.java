package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.os.Fds;
import vigil.os.UnixSocket;
import vigil.testing.Await;
import vigil.testing.LoopThread;

class UnitNotifySocketsTest {
    private static final int FLOOD = 50_000;

    @TempDir
    Path dir;
    private final ByteArrayOutputStream said = new ByteArrayOutputStream();
    private LoopThread loop;
    private int client = -1;

    @AfterEach
    void cleanUp() throws Exception {
        if (client >= 0) Fds.close(client);
        if (loop != null) loop.close();
    }

    private List<String> lines() {
        synchronized (said) {
            return said.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void aFloodOfDroppedDatagramsIsAFewLinesAndACount() throws Exception {
        loop = new LoopThread("notify-flood");
        Reporter reporter = new Reporter(new PrintStream(said, true, StandardCharsets.UTF_8));
        AtomicInteger ready = new AtomicInteger();
        // The unit allows no sender but for READY=1, the test's own mark that the flood was all read.
        Path socket = loop.call(() -> new UnitNotifySockets(loop.loop(), dir, reporter).open("web",
                (pid, uid, fields) -> fields.containsKey("READY") && ready.incrementAndGet() > 0)).orElseThrow();

        client = UnixSocket.open(UnixSocket.SOCK_DGRAM);
        UnixSocket.connect(client, socket);
        byte[] tooLong = ("STATUS=" + "x".repeat(5000)).getBytes(StandardCharsets.UTF_8);
        byte[] refused = "MAINPID=1".getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(tooLong.length);
            for (int i = 0; i < FLOOD; i++) send(buffer, i % 2 == 0 ? tooLong : refused);
            send(buffer, "READY=1".getBytes(StandardCharsets.UTF_8));
        }
        Await.until("the flood read to its end", Duration.ofSeconds(60), () -> ready.get() == 1);

        // Each said drop is one line; the rest are counted in one line per interval, which ends within 10 s.
        Pattern count = Pattern.compile("web: (\\d+) more notifications dropped in the last 10 s");
        Await.until("every drop said or counted; said:\n" + String.join("\n", lines()), Duration.ofSeconds(30),
                () -> said(lines()) + counted(lines(), count) == FLOOD);
        assertTrue(lines().size() <= 2 * (UnitNotifySockets.COMPLAINTS_SAID + 1),
                "a handful of lines, not one per datagram:\n" + String.join("\n", lines()));
        assertEquals(List.of(), loop.errors());
    }

    private void send(MemorySegment buffer, byte[] bytes) throws Exception {
        MemorySegment.copy(bytes, 0, buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        assertEquals(bytes.length, UnixSocket.send(client, buffer, bytes.length));
    }

    private static long said(List<String> lines) {
        return lines.stream().filter(l -> l.contains("notification from pid")).count();
    }

    private static long counted(List<String> lines, Pattern count) {
        long total = 0;
        for (String line : lines) {
            Matcher m = count.matcher(line);
            if (m.find()) total += Long.parseLong(m.group(1));
        }
        return total;
    }
}
