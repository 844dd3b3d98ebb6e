package vigil.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An envdir, as daemontools' {@code envdir} and runit's {@code chpst -e} read it: one variable per regular file,
 * named after the file.
 *
 * <ul>
 *   <li>names starting with {@code .} and anything that is not a regular file (subdirectories) are skipped;
 *   <li>the value is the file's first line, trailing spaces and tabs removed, each NUL turned into a newline;
 *   <li>an empty (0-byte) file unsets the variable; a file holding just a newline sets it to "";
 *   <li>a name containing {@code =} is an error, as in daemontools.
 * </ul>
 */
public final class EnvDir {
    private EnvDir() {}

    /**
     * The longest first line read. execve refuses a single "NAME=value" string longer than MAX_ARG_STRLEN
     * (32 pages, 131072 bytes), so a longer value could never reach the service anyway.
     */
    static final int MAX_VALUE = 131072;

    /**
     * {@code base} with the directory's variables set and unset.
     *
     * @throws ConfigException naming the file as {@code DIRNAME/FILE} if the directory or a file cannot be read, a
     *                         name contains {@code =}, or a value is too long
     */
    public static Map<String, String> apply(Path dir, Map<String, String> base) throws ConfigException {
        String dirLabel = String.valueOf(dir.getFileName());
        var environment = new HashMap<>(base);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".")) continue;
                String label = dirLabel + "/" + name;
                BasicFileAttributes attributes = ConfigFiles.attributes(entry, label);
                if (!attributes.isRegularFile()) continue;
                if (name.indexOf('=') >= 0) {
                    throw new ConfigException(label + ": a variable name cannot contain '='");
                }
                String value = firstLine(entry, label);
                if (value == null) environment.remove(name);
                else environment.put(name, value);
            }
        } catch (NotDirectoryException e) {
            throw new ConfigException(dirLabel + ": is " + ConfigFiles.kind(dir) + ", need a directory");
        } catch (IOException e) {
            throw ConfigException.io(dirLabel + ": cannot read: ", e);
        } catch (DirectoryIteratorException e) {
            throw ConfigException.io(dirLabel + ": cannot read: ", e.getCause());
        }
        return environment;
    }

    /** The value the file sets, or null if the file is empty and so unsets the variable. */
    private static String firstLine(Path file, String label) throws ConfigException {
        byte[] buffer = new byte[128];
        int length = 0;
        boolean newline = false;
        try (InputStream in = Files.newInputStream(file)) {
            while (!newline) {
                if (length == buffer.length) {
                    if (length > MAX_VALUE) {
                        throw new ConfigException(label + ": the first line is longer than " + MAX_VALUE
                                + " bytes, more than execve accepts for one variable");
                    }
                    buffer = Arrays.copyOf(buffer, Math.min(length * 2, MAX_VALUE + 1));
                }
                int n = in.read(buffer, length, buffer.length - length);
                if (n < 0) break;
                for (int i = length; i < length + n; i++) {
                    if (buffer[i] == '\n') {
                        newline = true;
                        n = i - length;
                        break;
                    }
                }
                length += n;
            }
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        }
        if (length == 0 && !newline) return null;
        while (length > 0 && (buffer[length - 1] == ' ' || buffer[length - 1] == '\t')) length--;
        for (int i = 0; i < length; i++) {
            if (buffer[i] == 0) buffer[i] = '\n';
        }
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
    }
}
