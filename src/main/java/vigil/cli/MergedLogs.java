package vigil.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.PriorityQueue;
import vigil.log.Timestamps;

/**
 * Several logs as one, by time, as journalctl shows several units: each log's lines are in order already, so a
 * k-way merge on their stamps. The log's name goes after each line's stamp (before the line if it has none); a
 * line without a stamp (a piece of a long line, a logger that stamps nothing) keeps the time of the line before it,
 * so it stays with it.
 */
final class MergedLogs {
    /** One log's selected bytes, as its reader printed them. */
    record Log(String name, byte[] bytes) {}

    /** A line of a log and the time it sorts by. */
    private record Line(long time, int log, int sequence, byte[] bytes, int start, int end) {}

    private MergedLogs() {}

    /** Writes the last {@code lines} lines of the merge ({@code -1}: all) to {@code out}. */
    static void write(List<Log> logs, int lines, OutputStream out) throws IOException {
        List<Deque<Line>> queues = new ArrayList<>();
        for (int i = 0; i < logs.size(); i++) queues.add(lines(logs.get(i).bytes(), i));
        PriorityQueue<Line> heads = new PriorityQueue<>((a, b) -> a.time != b.time ? Long.compare(a.time, b.time)
                : a.log != b.log ? Integer.compare(a.log, b.log) : Integer.compare(a.sequence, b.sequence));
        for (Deque<Line> queue : queues) {
            if (!queue.isEmpty()) heads.add(queue.poll());
        }
        // -n: only the last lines of the merge, so they are known only once it is done; hold at most that many.
        Deque<Line> tail = new ArrayDeque<>();
        while (!heads.isEmpty()) {
            Line line = heads.poll();
            Deque<Line> queue = queues.get(line.log);
            if (!queue.isEmpty()) heads.add(queue.poll());
            if (lines < 0) {
                print(line, logs, out);
            } else if (lines > 0) {
                if (tail.size() == lines) tail.poll();
                tail.add(line);
            }
        }
        for (Line line : tail) print(line, logs, out);
        out.flush();
    }

    private static Deque<Line> lines(byte[] bytes, int log) {
        Deque<Line> lines = new ArrayDeque<>();
        long time = Long.MIN_VALUE;
        int start = 0;
        int sequence = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') end++;
            long stamp = Timestamps.parse(bytes, start, Math.min(end - start, 64));
            if (stamp != Timestamps.NONE) time = stamp;
            lines.add(new Line(time, log, sequence++, bytes, start, end));
            start = end + 1;
        }
        return lines;
    }

    private static void print(Line line, List<Log> logs, OutputStream out) throws IOException {
        byte[] name = (logs.get(line.log).name() + ": ").getBytes(StandardCharsets.UTF_8);
        int space = -1;
        if (Timestamps.parse(line.bytes, line.start, Math.min(line.end - line.start, 64)) != Timestamps.NONE) {
            for (int i = line.start; i < line.end && space < 0; i++) {
                if (line.bytes[i] == ' ') space = i;
            }
        }
        int split = space < 0 ? line.start : space + 1;
        out.write(line.bytes, line.start, split - line.start);
        out.write(name);
        out.write(line.bytes, split, line.end - split);
        out.write('\n');
    }
}
