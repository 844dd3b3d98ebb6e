package vigil.unit;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import vigil.os.Signals;

/** Parsers for the value types unit files share: booleans, numbers, modes, signals, exit statuses, sizes, names. */
public final class Values {
    private Values() {}

    /** {@code 1 yes y true t on} or {@code 0 no n false f off}, in any case. */
    public static boolean bool(String value) throws InvalidValueException {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "yes", "y", "true", "t", "on" -> true;
            case "0", "no", "n", "false", "f", "off" -> false;
            default -> throw new InvalidValueException("'" + value + "' is not a boolean (yes/no, true/false, on/off, "
                    + "1/0)");
        };
    }

    /** A decimal integer in {@code [min, max]}. */
    public static long integer(String value, long min, long max) throws InvalidValueException {
        long n;
        try {
            n = Long.parseLong(value.startsWith("+") ? value.substring(1) : value);
        } catch (NumberFormatException e) {
            throw new InvalidValueException("'" + value + "' is not a number");
        }
        if (n < min || n > max) throw new InvalidValueException(value + " is out of range " + min + ".." + max);
        return n;
    }

    /** A non-negative 32-bit number, as systemd's {@code config_parse_unsigned} takes. */
    public static int unsigned(String value) throws InvalidValueException {
        long n = integer(value, 0, 0xFFFF_FFFFL);
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** An octal file mode, at most 07777. */
    public static int mode(String value) throws InvalidValueException {
        if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '7')) {
            throw new InvalidValueException("'" + value + "' is not an octal mode");
        }
        int m = Integer.parseInt(value.length() > 8 ? "77777" : value, 8);
        if (m > 07777) throw new InvalidValueException("mode " + value + " is larger than 07777");
        return m;
    }

    /** A signal: {@code SIGTERM}, {@code TERM} or {@code 15}. */
    public static int signal(String value) throws InvalidValueException {
        OptionalInt n = Signals.parse(value);
        if (n.isEmpty()) throw new InvalidValueException("'" + value + "' is not a signal");
        return n.getAsInt();
    }

    /** Exit status names systemd accepts besides numbers (systemd.exec(5), "Process exit codes"). */
    private static final Map<String, Integer> EXIT_NAMES = Map.ofEntries(
            Map.entry("SUCCESS", 0), Map.entry("FAILURE", 1), Map.entry("INVALIDARGUMENT", 2),
            Map.entry("NOTIMPLEMENTED", 3), Map.entry("NOPERMISSION", 4), Map.entry("NOTINSTALLED", 5),
            Map.entry("NOTCONFIGURED", 6), Map.entry("NOTRUNNING", 7), Map.entry("USAGE", 64),
            Map.entry("DATAERR", 65), Map.entry("NOINPUT", 66), Map.entry("NOUSER", 67), Map.entry("NOHOST", 68),
            Map.entry("UNAVAILABLE", 69), Map.entry("SOFTWARE", 70), Map.entry("OSERR", 71),
            Map.entry("OSFILE", 72), Map.entry("CANTCREAT", 73), Map.entry("IOERR", 74), Map.entry("TEMPFAIL", 75),
            Map.entry("PROTOCOL", 76), Map.entry("NOPERM", 77), Map.entry("CONFIG", 78));

    /**
     * A blank-separated list of exit codes (0..255 or a name such as {@code TEMPFAIL}) and signals
     * ({@code SIGTERM}, {@code TERM}). As in systemd, a word is read as an exit status first, so {@code 15} is a
     * code, not SIGTERM.
     */
    public static ExitStatusSet exitStatusSet(String value) throws InvalidValueException {
        var codes = new TreeSet<Integer>();
        var signals = new TreeSet<Integer>();
        for (String word : Words.splitPlain(value)) {
            Integer named = EXIT_NAMES.get(word.toUpperCase(Locale.ROOT));
            if (named != null) {
                codes.add(named);
            } else if (word.chars().allMatch(Character::isDigit)) {
                codes.add((int) integer(word, 0, 255));
            } else {
                OptionalInt sig = Signals.parse(word);
                if (sig.isEmpty()) throw new InvalidValueException("'" + word + "' is neither an exit status nor a "
                        + "signal");
                signals.add(sig.getAsInt());
            }
        }
        return new ExitStatusSet(codes, signals);
    }

    /** A byte count with an optional base-1024 suffix: {@code 512}, {@code 64K}, {@code 1.5G}, {@code 8M}. */
    public static long size(String value) throws InvalidValueException {
        String v = value.strip();
        String[] suffixes = {"E", "P", "T", "G", "M", "K", "B"};
        long[] factors = {1L << 60, 1L << 50, 1L << 40, 1L << 30, 1L << 20, 1L << 10, 1};
        long factor = 1;
        for (int i = 0; i < suffixes.length; i++) {
            if (v.endsWith(suffixes[i])) {
                factor = factors[i];
                v = v.substring(0, v.length() - 1).strip();
                break;
            }
        }
        try {
            var n = new java.math.BigDecimal(v);
            if (n.signum() < 0) throw new InvalidValueException("negative size '" + value + "'");
            return n.multiply(java.math.BigDecimal.valueOf(factor)).toBigInteger().longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new InvalidValueException("'" + value + "' is not a size (like 4096, 64K, 1G)");
        }
    }

    /** One of {@code allowed}, exactly as written. */
    public static String oneOf(String value, List<String> allowed, String what) throws InvalidValueException {
        if (!allowed.contains(value)) {
            throw new InvalidValueException("unknown " + what + " '" + value + "' (expected one of "
                    + String.join(", ", allowed) + ")");
        }
        return value;
    }

    /** A user or group: a name or a numeric id, without blanks, colons or slashes. */
    public static String userOrGroup(String value) throws InvalidValueException {
        boolean ok = !value.isEmpty() && !value.startsWith("-") && !value.equals(".") && !value.equals("..")
                && value.chars().noneMatch(c -> c <= ' ' || c == ':' || c == '/' || c == 127 || c == ',');
        if (!ok) throw new InvalidValueException("'" + value + "' is not a valid user or group name or id");
        return value;
    }

    /** An absolute path. */
    public static String absolutePath(String value) throws InvalidValueException {
        if (!value.startsWith("/")) throw new InvalidValueException("path '" + value + "' is not absolute");
        if (value.chars().anyMatch(c -> c < ' ' || c == 127)) {
            throw new InvalidValueException("path '" + value + "' contains control characters");
        }
        return value;
    }

    /** A relative path without {@code ..} components, as the {@code *Directory=} settings take. */
    public static String relativePath(String value) throws InvalidValueException {
        if (value.startsWith("/") || value.isEmpty()) {
            throw new InvalidValueException("'" + value + "' must be a relative path");
        }
        for (String part : value.split("/")) {
            if (part.equals("..")) throw new InvalidValueException("'" + value + "' must not contain '..'");
        }
        return value;
    }

    /** A valid unit name. */
    public static UnitName unitName(String value) throws InvalidValueException {
        return UnitName.parse(value).orElseThrow(() -> new InvalidValueException("'" + value
                + "' is not a valid unit name"));
    }

    /** An environment variable name. */
    public static String environmentName(String value) throws InvalidValueException {
        if (!CommandLine.isName(value, 0, value.length())) {
            throw new InvalidValueException("'" + value + "' is not a valid environment variable name");
        }
        return value;
    }

    /** An enum constant by its systemd spelling: the constant's name in lower case with {@code -} for {@code _}. */
    public static <E extends Enum<E>> E enumValue(Class<E> type, String value, String what)
            throws InvalidValueException {
        var names = new java.util.ArrayList<String>();
        for (E e : type.getEnumConstants()) {
            String name = systemdName(e);
            if (name.equals(value)) return e;
            names.add(name);
        }
        throw new InvalidValueException("unknown " + what + " '" + value + "' (expected one of "
                + String.join(", ", names) + ")");
    }

    /** {@code NOTIFY_RELOAD} as systemd writes it: {@code notify-reload}. */
    public static String systemdName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
