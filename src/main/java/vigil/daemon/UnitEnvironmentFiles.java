package vigil.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import vigil.os.Errno;
import vigil.service.SpawnException;
import vigil.unit.EnvironmentFiles;

/** A unit's {@code EnvironmentFile=} on disk, read when one of its commands is about to run. */
final class UnitEnvironmentFiles {
    private UnitEnvironmentFiles() {}

    /**
     * The file's variables, as {@link EnvironmentFiles} parses them.
     *
     * @throws SpawnException with the reason alone (strerror's text where there is one): the caller names the file
     */
    static Map<String, String> read(Path file) throws SpawnException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SpawnException(Errno.describe(Errno.ENOENT), Errno.ENOENT);
        } catch (AccessDeniedException e) {
            throw new SpawnException(Errno.describe(Errno.EACCES), Errno.EACCES);
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage();
            throw new SpawnException(reason, Errno.EIO);
        }
        // Decoded leniently: systemd skips an assignment that is not UTF-8 rather than failing the unit, and a
        // replacement character in one value is closer to that than refusing the whole file.
        return EnvironmentFiles.parse(new String(bytes, StandardCharsets.UTF_8));
    }
}
