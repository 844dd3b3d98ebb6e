package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The /proc reads behind GuessMainPID= ({@link LinuxProcesses#forkedOrphans}): which processes exist, and whether
 * one is a live child of Vigil's (a daemon whose parent exited is reparented to Vigil, the subreaper).
 */
final class ForkedOrphans {
    private ForkedOrphans() {}

    /** Every pid in /proc now; only read where there is no cgroup to ask, once per forking start. */
    static List<Integer> allPids() {
        List<Integer> pids = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : proc) {
                String name = entry.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) pids.add(Integer.parseInt(name));
            }
        } catch (IOException | RuntimeException e) {
            // No /proc: no guess, and the main process stays unknown.
        }
        return pids;
    }

    /** The process group of {@code pid}, or 0 if it is gone. */
    static int processGroupOf(int pid) {
        String[] fields = statFields(pid);
        try {
            return fields.length >= 4 ? Integer.parseInt(fields[2]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The fields of /proc/PID/stat after "PID (COMM) ", or none if it is gone. */
    private static String[] statFields(int pid) {
        String stat;
        try {
            stat = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "stat")),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return new String[0];
        }
        // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and parentheses, so the fields follow the last ')'.
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) return new String[0];
        return stat.substring(close + 2).split(" ", 5);
    }

    /** Whether {@code pid} is alive (no zombie) and its parent is {@code parent}; false if it is gone. */
    static boolean liveChildOf(int pid, int parent) {
        String[] fields = statFields(pid);
        try {
            return fields.length >= 2 && !fields[0].equals("Z") && !fields[0].equals("X")
                    && Integer.parseInt(fields[1]) == parent;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
