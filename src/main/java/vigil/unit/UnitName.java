package vigil.unit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * A valid unit name, split into its parts: {@code prefix[@instance].type}. A template has an empty instance
 * ({@code getty@.service}); a plain unit has none.
 *
 * <p>Valid names (systemd.unit(5)) are at most 255 characters of {@code [A-Za-z0-9:_.\-]}, with one optional
 * {@code @} after a non-empty prefix (the instance may also hold {@code @}), and end in a known type suffix.
 */
public record UnitName(String prefix, Optional<String> instance, UnitType type) {
    private static final int MAX_LENGTH = 255;

    public UnitName {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(type, "type");
        if (prefix.isEmpty() || !validChars(prefix, false)) throw new IllegalArgumentException("bad prefix " + prefix);
        if (instance.isPresent() && !validChars(instance.get(), true)) {
            throw new IllegalArgumentException("bad instance " + instance.get());
        }
    }

    /** Parses a name, or returns empty if it is not a valid unit name. */
    public static Optional<UnitName> parse(String name) {
        if (name.isEmpty() || name.length() > MAX_LENGTH) return Optional.empty();
        int dot = name.lastIndexOf('.');
        if (dot <= 0) return Optional.empty();
        Optional<UnitType> type = UnitType.fromSuffix(name.substring(dot + 1));
        if (type.isEmpty()) return Optional.empty();
        String stem = name.substring(0, dot);
        int at = stem.indexOf('@');
        String prefix = at < 0 ? stem : stem.substring(0, at);
        Optional<String> instance = at < 0 ? Optional.empty() : Optional.of(stem.substring(at + 1));
        if (prefix.isEmpty() || !validChars(prefix, false)) return Optional.empty();
        if (instance.isPresent() && !validChars(instance.get(), true)) return Optional.empty();
        return Optional.of(new UnitName(prefix, instance, type.get()));
    }

    /** Whether {@code name} is a valid unit name. */
    public static boolean isValid(String name) {
        return parse(name).isPresent();
    }

    /**
     * Whether an entry of a unit directory is part of what a daemon-reload reads: a unit file, or a unit's
     * {@code .wants/}, {@code .requires/} or drop-in {@code .d/} directory.
     */
    public static boolean isUnitEntry(String entry) {
        for (String suffix : new String[] {".wants", ".requires", ".d"}) {
            if (entry.endsWith(suffix) && isValid(entry.substring(0, entry.length() - suffix.length()))) return true;
        }
        return isValid(entry);
    }

    private static boolean validChars(String s, boolean allowAt) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || allowAt && c == '@';
            if (!ok) return false;
        }
        return true;
    }

    /** {@code foo@.service}: a template, which is never run itself. */
    public boolean isTemplate() {
        return instance.isPresent() && instance.get().isEmpty();
    }

    /** {@code foo@bar.service}: an instance of a template. */
    public boolean isInstance() {
        return instance.isPresent() && !instance.get().isEmpty();
    }

    /** The template of an instance or template ({@code foo@.service}); the name itself otherwise. */
    public UnitName template() {
        return instance.isPresent() ? new UnitName(prefix, Optional.of(""), type) : this;
    }

    /** This template (or instance) with another instance. */
    public UnitName withInstance(String newInstance) {
        return new UnitName(prefix, Optional.of(newInstance), type);
    }

    /** The name without the type suffix: {@code foo@bar}. */
    public String stem() {
        return instance.map(i -> prefix + "@" + i).orElse(prefix);
    }

    @Override
    public String toString() {
        return stem() + "." + type.suffix();
    }

    /**
     * Undoes systemd-escape: {@code -} becomes {@code /} and {@code \xNN} the byte NN; the bytes are read as UTF-8.
     * Other characters are kept.
     */
    public static String unescape(String s) {
        var bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '-') {
                bytes.write('/');
            } else if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x'
                    && hex(s.charAt(i + 2)) >= 0 && hex(s.charAt(i + 3)) >= 0) {
                bytes.write(hex(s.charAt(i + 2)) << 4 | hex(s.charAt(i + 3)));
                i += 3;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** {@link #unescape} read as a path: {@code -} alone is {@code /}, and the result always starts with /. */
    public static String unescapePath(String s) {
        if (s.equals("-")) return "/";
        String u = unescape(s);
        return u.startsWith("/") ? u : "/" + u;
    }

    /**
     * systemd-escape: {@code /} becomes {@code -}; characters outside {@code [A-Za-z0-9:_.]}, and a leading dot,
     * become {@code \xNN} per UTF-8 byte.
     */
    public static String escape(String s) {
        var out = new StringBuilder(s.length());
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                    || b == ':' || b == '_' || b == '.' && i > 0;
            if (b == '/') out.append('-');
            else if (plain) out.append((char) b);
            else out.append(String.format("\\x%02x", b));
        }
        return out.toString();
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
