package vigil.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import vigil.model.UnitSpec;
import vigil.os.Errno;
import vigil.service.SpawnException;

/** RuntimeDirectory= and its kin on disk: made with their mode and owner before a start, removed after. */
final class UnitDirectories {
    private UnitDirectories() {}

    /** Makes each directory (and missing parents), then sets its mode and owner, as systemd does every start. */
    static void make(List<UnitSpec.Directory> directories) throws SpawnException {
        for (UnitSpec.Directory d : directories) {
            try {
                Files.createDirectories(d.path());
                Files.setPosixFilePermissions(d.path(), permissions(d.mode()));
                if (d.owner().isPresent()) {
                    Files.setAttribute(d.path(), "unix:uid", d.owner().get().uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(d.path(), "unix:gid", d.owner().get().gid(), LinkOption.NOFOLLOW_LINKS);
                }
            } catch (IOException | UnsupportedOperationException e) {
                throw new SpawnException(d.path() + ": " + e.getMessage(), Errno.EACCES);
            }
        }
    }

    /** Removes each directory with what is in it; what cannot be removed stays, and the next start reuses it. */
    static void remove(List<UnitSpec.Directory> directories) {
        for (UnitSpec.Directory d : directories) {
            if (!Files.exists(d.path(), LinkOption.NOFOLLOW_LINKS)) continue;
            try (var walk = Files.walk(d.path())) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException | UncheckedIOException e) {
                // Left behind on purpose: see above.
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();
        // PosixFilePermission's order is OWNER_READ .. OTHERS_EXECUTE, i.e. mode bits 8 down to 0.
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << (8 - i))) != 0) set.add(bits[i]);
        }
        return set;
    }
}
