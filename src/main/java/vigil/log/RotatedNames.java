package vigil.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The names of rotated log files: {@code @}, 24 lower-case hex digits of TAI64N, {@code .s} for a complete file or
 * {@code .u} for one saved unfinished; 27 characters in all. Sorted as text, they are in time order.
 */
final class RotatedNames {
    private RotatedNames() {}

    static final int LENGTH = 27;

    static boolean isRotated(String name) {
        if (name.length() != LENGTH || name.charAt(0) != '@' || name.charAt(25) != '.') return false;
        char suffix = name.charAt(26);
        if (suffix != 's' && suffix != 'u') return false;
        for (int i = 1; i < 25; i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
        }
        return true;
    }

    static String name(long epochNanos, char suffix) {
        return "@" + Timestamps.tai64n(epochNanos) + "." + suffix;
    }

    /** The time in a rotated file's name: when it was rotated, so no line in it is later. */
    static long time(String name) {
        return Timestamps.parseTai64n(name.substring(1, 25).getBytes(StandardCharsets.US_ASCII), 0);
    }

    /** The rotated files in {@code dir}, oldest first. */
    static List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isRotated(name)) names.add(name);
            }
        }
        Collections.sort(names);
        return names;
    }
}
