package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.service.UnitOs.PidFile;

/**
 * Reads PID files, and tells whether only root could have written one: systemd believes the pid of such a file even
 * outside the unit, and of any other only inside it. The path is followed component by component as the kernel
 * would, without following anything blindly: the file, every directory on its way and every symlink that leads to it
 * must be root's. A directory of another user lets him put any file or link there, and a symlink of his can lead to
 * a root-owned PID file of another service ({@code /run/sshd.pid}).
 */
final class PidFiles {
    /** Longer than any pid; a PID file that is more (or a device) is not read further. */
    private static final int MAX_BYTES = 64;
    /** The kernel's own limit on symlinks followed in one lookup. */
    private static final int MAX_LINKS = 40;

    private PidFiles() {}

    /** The pid in {@code file}, if it exists and holds one above 1, with why it is not trusted, if it is not. */
    static Optional<PidFile> read(Path file) {
        Path real;
        Optional<String> untrusted;
        try {
            Walk walk = walk(file.toAbsolutePath());
            real = walk.real;
            untrusted = walk.untrusted;
        } catch (IOException e) {
            return Optional.empty();
        }
        return readPid(real).stream().filter(pid -> pid > 1).boxed().findFirst()
                .map(pid -> new PidFile(pid, untrusted));
    }

    private static final class Walk {
        Path real = Path.of("/");
        Optional<String> untrusted = Optional.empty();

        void distrust(String why) {
            if (untrusted.isEmpty()) untrusted = Optional.of(why);
        }
    }

    /** Resolves {@code file} as the kernel would, noting the first thing on the way that is not root's. */
    private static Walk walk(Path file) throws IOException {
        Walk walk = new Walk();
        Deque<String> names = new ArrayDeque<>();
        for (Path name : file) names.addLast(name.toString());
        int links = 0;
        while (!names.isEmpty()) {
            String name = names.removeFirst();
            if (name.equals(".")) continue;
            if (name.equals("..")) {
                if (walk.real.getParent() != null) walk.real = walk.real.getParent();
                continue;
            }
            Path next = walk.real.resolve(name);
            Map<String, Object> attributes = Files.readAttributes(next, "unix:uid,isSymbolicLink",
                    LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) attributes.get("uid");
            if ((Boolean) attributes.get("isSymbolicLink")) {
                if (++links > MAX_LINKS) throw new IOException("too many symlinks");
                if (uid != 0) walk.distrust("reached through " + next + ", a symlink owned by uid " + uid);
                Path target = Files.readSymbolicLink(next);
                if (target.isAbsolute()) walk.real = Path.of("/");
                List<String> parts = new ArrayList<>();
                for (Path part : target) parts.add(part.toString());
                for (String part : parts.reversed()) names.addFirst(part);
                continue;
            }
            if (uid != 0) {
                walk.distrust(names.isEmpty() ? "owned by uid " + uid
                        : "in " + next + ", a directory owned by uid " + uid);
            }
            walk.real = next;
        }
        return walk;
    }

    /**
     * The number at the start of the file, read once without blocking: a FIFO or a device put there by the service's
     * user must not hold up the loop.
     */
    private static OptionalInt readPid(Path real) {
        int fd;
        try {
            fd = Fds.open(real, Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK, 0);
        } catch (OsException e) {
            return OptionalInt.empty();
        }
        try {
            byte[] bytes = new byte[MAX_BYTES];
            int n = Fds.read(fd, bytes, 0, MAX_BYTES);
            if (n <= 0) return OptionalInt.empty();
            return OptionalInt.of(Integer.parseInt(new String(bytes, 0, n, StandardCharsets.US_ASCII).strip()));
        } catch (OsException | NumberFormatException e) {
            return OptionalInt.empty();
        } finally {
            Fds.close(fd);
        }
    }
}
