package vigil.unit;

import java.util.List;
import java.util.Objects;

/** Where a unit's standard input, output or error goes ({@code StandardInput=} and friends, systemd.exec(5)). */
public sealed interface Stdio {
    /** {@code null}: /dev/null. */
    record Null() implements Stdio {}

    /** {@code inherit}: output goes where stdout goes (for stderr), or where the manager's goes (for stdout). */
    record Inherit() implements Stdio {}

    /** {@code tty}, {@code tty-force} or {@code tty-fail}: the terminal of {@code TTYPath=}. */
    record Tty(String mode) implements Stdio {}

    /**
     * {@code journal}, {@code syslog} or {@code kmsg}, optionally {@code +console}: systemd's log sinks, which all
     * mean Vigil's own log for the unit.
     */
    record Log(String sink, boolean console) implements Stdio {}

    /** {@code file:PATH}, {@code append:PATH} or {@code truncate:PATH}. */
    record File(String path, FileMode mode) implements Stdio {
        public File {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(mode, "mode");
        }
    }

    /** {@code socket}: the connection of a socket-activated ({@code Accept=yes}) service. */
    record Socket() implements Stdio {}

    /** {@code fd:NAME}: a file descriptor passed by a socket unit with that {@code FileDescriptorName=}. */
    record NamedFd(String name) implements Stdio {}

    /** {@code data}: the bytes of {@code StandardInputText=}/{@code StandardInputData=}. */
    record Data() implements Stdio {}

    /** How a {@link File} is opened. */
    enum FileMode {
        /** {@code file:} as input. */
        READ,
        /** {@code file:} as output: written from the start, not truncated. */
        WRITE,
        /** {@code append:}. */
        APPEND,
        /** {@code truncate:}. */
        TRUNCATE
    }

    /** Parses a {@code StandardInput=} value. */
    static Stdio input(String value, Specifiers sp) throws InvalidValueException {
        return switch (value) {
            case "null" -> new Null();
            case "tty", "tty-force", "tty-fail" -> new Tty(value);
            case "data" -> new Data();
            case "socket" -> new Socket();
            case "fd" -> new NamedFd("stdin");
            default -> {
                if (value.startsWith("file:")) yield file(value.substring(5), FileMode.READ, sp);
                if (value.startsWith("fd:")) yield new NamedFd(fdName(value.substring(3), "stdin"));
                throw new InvalidValueException("unknown standard input '" + value + "' (expected null, tty, "
                        + "tty-force, tty-fail, data, socket, fd:NAME or file:PATH)");
            }
        };
    }

    /** Parses a {@code StandardOutput=} or {@code StandardError=} value. */
    static Stdio output(String value, Specifiers sp, String defaultFdName) throws InvalidValueException {
        return switch (value) {
            case "null" -> new Null();
            case "inherit" -> new Inherit();
            case "tty" -> new Tty("tty");
            case "socket" -> new Socket();
            case "fd" -> new NamedFd(defaultFdName);
            default -> {
                for (String sink : List.of("journal", "syslog", "kmsg")) {
                    if (value.equals(sink)) yield new Log(sink, false);
                    if (value.equals(sink + "+console")) yield new Log(sink, true);
                }
                if (value.startsWith("file:")) yield file(value.substring(5), FileMode.WRITE, sp);
                if (value.startsWith("append:")) yield file(value.substring(7), FileMode.APPEND, sp);
                if (value.startsWith("truncate:")) yield file(value.substring(9), FileMode.TRUNCATE, sp);
                if (value.startsWith("fd:")) yield new NamedFd(fdName(value.substring(3), defaultFdName));
                throw new InvalidValueException("unknown standard output '" + value + "' (expected inherit, null, "
                        + "tty, journal, kmsg, journal+console, kmsg+console, socket, fd:NAME, file:PATH, "
                        + "append:PATH or truncate:PATH)");
            }
        };
    }

    private static File file(String path, FileMode mode, Specifiers sp) throws InvalidValueException {
        return new File(Values.absolutePath(sp.expand(path)), mode);
    }

    private static String fdName(String name, String fallback) throws InvalidValueException {
        if (name.isEmpty()) return fallback;
        if (name.length() > 255 || name.contains(":") || name.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new InvalidValueException("'" + name + "' is not a valid file descriptor name");
        }
        return name;
    }
}
