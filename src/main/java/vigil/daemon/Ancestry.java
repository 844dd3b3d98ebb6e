package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a process belongs to a unit, where there are no cgroups to ask: it does if, following its parents in
 * {@code /proc/PID/stat}, one of them (or itself) is one of the unit's processes or is in the session one of them
 * leads. Every process Vigil spawns for a unit is a session leader (vigil-exec's setsid), and a session can only be
 * entered by fork, so its members all come from that process, even once reparented to Vigil as subreaper (a
 * double-forking daemon). The walk stops at Vigil and at PID 1: what hangs off them is nobody's.
 *
 * <p>The anchors must be pinned by the caller (unreaped, or checked through a pidfd after the walk): a session id
 * cannot be reused while its leader's pid is taken. A link of the chain that dies while it is walked could have its
 * pid reused by a process of the unit; so once the chain reaches the unit, every link is read again and must still
 * name the same parent and session.
 */
final class Ancestry {
    /** Far deeper than any real process tree; a walk never loops, but it is bounded all the same. */
    private static final int MAX_DEPTH = 4096;

    private Ancestry() {}

    /** The fields of /proc/PID/stat that the walk needs. */
    private record Stat(int pid, char state, int parent, int session) {}

    /**
     * @param anchors the unit's live processes
     * @param self    Vigil's own pid
     * @return whether {@code pid} is alive (no zombie) and belongs to the unit
     */
    static boolean belongs(int pid, Set<Integer> anchors, int self) {
        if (anchors.isEmpty()) return false;
        List<Stat> chain = new ArrayList<>();
        int at = pid;
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            Optional<Stat> read = read(at);
            if (read.isEmpty() || (depth == 0 && read.get().state() == 'Z')) return false;
            Stat stat = read.get();
            chain.add(stat);
            if (anchors.contains(stat.pid()) || anchors.contains(stat.session())) return unchanged(chain);
            if (stat.parent() <= 1 || stat.parent() == self) return false;
            at = stat.parent();
        }
        return false;
    }

    private static boolean unchanged(List<Stat> chain) {
        for (Stat link : chain) {
            Optional<Stat> now = read(link.pid());
            if (now.isEmpty() || now.get().parent() != link.parent() || now.get().session() != link.session()) {
                return false;
            }
        }
        return true;
    }

    /** {@code pid (comm) state ppid pgrp session ...}; comm may hold any byte, ')' included, so the last one ends it. */
    private static Optional<Stat> read(int pid) {
        String text;
        try {
            text = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "stat")),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return Optional.empty();
        }
        int close = text.lastIndexOf(')');
        if (close < 0) return Optional.empty();
        String[] fields = text.substring(close + 2).split(" ", 5);
        if (fields.length < 5) return Optional.empty();
        try {
            return Optional.of(new Stat(pid, fields[0].charAt(0), Integer.parseInt(fields[1]),
                    Integer.parseInt(fields[3])));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }
}
