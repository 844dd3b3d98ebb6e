package vigil.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code vigil status NAME} shows of a service's cgroup, read now: its processes (pid, parent, command line)
 * and, where the v2 hierarchy has the files, CPU time ({@code cpu.stat}), memory ({@code memory.current}) and the
 * task count ({@code pids.current}, else {@code cgroup.threads}). v1 controllers' numbers are not read here.
 */
public final class CgroupStatus {
    private CgroupStatus() {}

    /** The status entry's {@code cgroup} object for the cgroup {@code name} in {@code directory}. */
    public static Map<String, Object> of(String name, Path directory) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", name);
        List<Object> processes = new ArrayList<>();
        for (int pid : ServiceCgroup.readPids(directory)) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("pid", pid);
            p.put("ppid", parentOf(pid));
            p.put("command", commandLine(pid));
            processes.add(p);
        }
        m.put("processes", processes);
        long threads = lines(directory.resolve("cgroup.threads"));
        long tasks = number(directory.resolve("pids.current"));
        m.put("tasks", tasks >= 0 ? tasks : Math.max(threads, 0));
        long cpu = cpuUsec(directory.resolve("cpu.stat"));
        if (cpu >= 0) m.put("cpu_usec", cpu);
        long memory = number(directory.resolve("memory.current"));
        if (memory >= 0) m.put("memory_bytes", memory);
        return m;
    }

    /** A cgroup's numbers for metrics; -1 where the hierarchy lacks the file. */
    public record Usage(long tasks, long cpuUsec, long memoryBytes) {}

    /**
     * The numbers of {@link #of} without the process list, for a scrape of every service: three small reads, no
     * walk of /proc. Off the event loop: it reads files.
     */
    public static Usage usage(Path directory) {
        long tasks = number(directory.resolve("pids.current"));
        if (tasks < 0) tasks = lines(directory.resolve("cgroup.threads"));
        return new Usage(tasks, cpuUsec(directory.resolve("cpu.stat")), number(directory.resolve("memory.current")));
    }

    /** {@code /proc/PID/cmdline} with spaces for NULs, or {@code [comm]} for a kernel thread or a zombie. */
    private static String commandLine(int pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            int end = raw.length;
            while (end > 0 && raw[end - 1] == 0) end--;
            if (end > 0) return new String(raw, 0, end, StandardCharsets.UTF_8).replace('\0', ' ');
            return "[" + Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).strip() + "]";
        } catch (IOException e) {
            return "?";
        }
    }

    private static int parentOf(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
            return Integer.parseInt(fields[1]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long lines(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static long number(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** {@code usage_usec} of cpu.stat, which v2 has even without the cpu controller; -1 if missing. */
    private static long cpuUsec(Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("usage_usec ")) return Long.parseLong(line.substring(11).strip());
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
