package vigil.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** Reading the small files of a service directory, and saying in words what went wrong with them. */
final class ConfigFiles {
    private ConfigFiles() {}

    /** Longer than any sensible value of a one-number file; more is not read. */
    private static final int SMALL_FILE_LIMIT = 256;
    /** How much of a found value a message quotes. */
    private static final int QUOTE_LIMIT = 40;

    /**
     * The content of a one-value file such as {@code notification-fd}, whitespace stripped. It must be a regular
     * file: opening a FIFO someone left there would block the loader, and with it the whole supervisor.
     */
    static String readValue(Path file, String label) throws ConfigException {
        BasicFileAttributes attributes = attributes(file, label);
        if (!attributes.isRegularFile()) {
            throw new ConfigException(label + ": is " + kind(file) + ", need a regular file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(SMALL_FILE_LIMIT), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        }
    }

    /** The file's attributes, symlinks followed. */
    static BasicFileAttributes attributes(Path file, String label) throws ConfigException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw ConfigException.io(label + ": cannot read: ", e);
        }
    }

    /** "a directory", "a FIFO", "a symbolic link to nothing": what a path turned out to be, for messages. */
    static String kind(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            if (a.isRegularFile()) return "a regular file";
            if (a.isDirectory()) return "a directory";
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
            return switch (type) {
                case 0010000 -> "a FIFO";
                case 0140000 -> "a socket";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                default -> "a special file";
            };
        } catch (NoSuchFileException e) {
            return Files.isSymbolicLink(path) ? "a symbolic link to nothing" : "missing";
        } catch (IOException | UnsupportedOperationException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** A found value in quotes, control characters escaped and cut short, so a message stays one sane line. */
    static String quote(String found) {
        var out = new StringBuilder("\"");
        int end = Math.min(found.length(), QUOTE_LIMIT);
        for (int i = 0; i < end; i++) {
            char c = found.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", (int) c));
                    else out.append(c);
                }
            }
        }
        if (found.length() > end) out.append("...");
        return out.append('"').toString();
    }
}
