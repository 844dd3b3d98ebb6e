package vigil.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads /proc: process state, parent, and the tree below a pid. */
public final class Procs {
    private Procs() {}

    /** Fields of /proc/PID/stat after the command name: [0] is the state letter, [1] the ppid. */
    private static Optional<String[]> stat(long pid) {
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Optional.of(text.substring(text.lastIndexOf(')') + 2).split(" "));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static boolean exists(long pid) {
        return stat(pid).isPresent();
    }

    /** Alive and not a zombie. */
    public static boolean running(long pid) {
        return stat(pid).map(f -> !f[0].equals("Z") && !f[0].equals("X")).orElse(false);
    }

    /** Stopped by a signal (SIGSTOP): state T. */
    public static boolean stopped(long pid) {
        return stat(pid).map(f -> f[0].equals("T")).orElse(false);
    }

    public static boolean zombie(long pid) {
        return stat(pid).map(f -> f[0].equals("Z")).orElse(false);
    }

    public static long parent(long pid) {
        return stat(pid).map(f -> Long.parseLong(f[1])).orElse(-1L);
    }

    /** The start time in clock ticks since boot: with the pid, it names one process for good. */
    public static long startTime(long pid) {
        return stat(pid).map(f -> Long.parseLong(f[19])).orElse(-1L);
    }

    public static List<Long> children(long pid) {
        return parents().getOrDefault(pid, List.of());
    }

    /** Every descendant of pid, parents before children, from one pass over /proc. */
    public static List<Long> descendants(long pid) {
        Map<Long, List<Long>> byParent = parents();
        List<Long> all = new ArrayList<>();
        List<Long> frontier = List.of(pid);
        while (!frontier.isEmpty()) {
            List<Long> next = new ArrayList<>();
            for (long p : frontier) next.addAll(byParent.getOrDefault(p, List.of()));
            all.addAll(next);
            frontier = next;
        }
        return all;
    }

    /** Every process's children, by parent pid. */
    private static Map<Long, List<Long>> parents() {
        Map<Long, List<Long>> byParent = new HashMap<>();
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : dirs) {
                long child = Long.parseLong(p.getFileName().toString());
                long parent = parent(child);
                if (parent > 0) byParent.computeIfAbsent(parent, k -> new ArrayList<>()).add(child);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return byParent;
    }

    public static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
