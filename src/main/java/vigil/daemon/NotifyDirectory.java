package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the services' sd_notify sockets go. A service that drops root before {@code READY=1} (unbound, named,
 * squid...) must reach its socket as its own user, as it reaches systemd's {@code /run/systemd/notify}: a directory
 * of mode 0755 on a path everyone may walk, with sockets everyone may write to (who sent what is checked by
 * {@code SO_PASSCRED}, not by the file's mode). Beside the control socket is such a place when everyone may walk to
 * it; a root daemon whose control socket sits in a private directory ({@code --control} in a 0700 directory) puts
 * them in {@code /run/vigil/notify-PID} instead, which only root can make and which keeps its name across
 * {@code daemon-reexec} (the pid stays), so the handed-over sockets keep theirs.
 */
final class NotifyDirectory {
    private static final Path ROOT_RUNTIME = Path.of("/run/vigil");

    private NotifyDirectory() {}

    /**
     * @param runtime the control socket's directory, if there is one
     * @param uid     the daemon's uid: a daemon other than root runs every service as itself, so its own runtime
     *                directory (XDG_RUNTIME_DIR, 0700) does
     */
    static Path choose(Path runtime, int uid, long pid) {
        Path base = runtime != null ? runtime : ROOT_RUNTIME;
        if (uid != 0 || walkable(base)) return base.resolve("notify");
        removeStale();
        return ROOT_RUNTIME.resolve("notify-" + pid);
    }

    /** The directories of daemons that died without removing theirs (killed): their pid runs nothing now. */
    private static void removeStale() {
        try (var entries = Files.newDirectoryStream(ROOT_RUNTIME, "notify-*")) {
            for (Path dir : entries) {
                String pid = dir.getFileName().toString().substring("notify-".length());
                if (!pid.chars().allMatch(Character::isDigit) || pid.isEmpty()
                        || ProcessHandle.of(Long.parseLong(pid)).isPresent()) {
                    continue;
                }
                try (var sockets = Files.newDirectoryStream(dir)) {
                    for (Path socket : sockets) Files.deleteIfExists(socket);
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException | NumberFormatException e) {
            // None yet, or one that cannot go: a leftover costs a directory entry, nothing else.
        }
    }

    /** Whether every user may walk down to {@code dir} (each directory on the way lets others search it). */
    static boolean walkable(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                if (!Files.exists(p)) continue;
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }
        return true;
    }

    /** At the daemon's end: its own directory goes, once its sockets are gone (each unit removes its own). */
    static void removeIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Not empty (a service directory's socket left by a process still running), or shared: it stays.
        }
    }

    /** Makes the directory (and a missing /run/vigil) with mode 0755, whatever the daemon's umask. */
    static void make(Path dir) throws IOException {
        for (Path p : new Path[] {dir.getParent(), dir}) {
            if (p == null || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
            Files.createDirectories(p);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
