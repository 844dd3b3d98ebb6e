package vigil.unit;

import java.util.List;
import java.util.Locale;

/**
 * Capability names (capabilities(7), numbered as in linux/capability.h) and systemd's syntax for the capability
 * settings: {@code CapabilityBoundingSet=}, {@code AmbientCapabilities=} and {@code SecureBits=}. Sets are 64-bit
 * masks, bit n for capability n; the kernel's last capability ({@code /proc/sys/kernel/cap_last_cap}) is applied
 * where the set is, not here, so a unit reads the same on every kernel.
 */
public final class Capabilities {
    private Capabilities() {}

    /** Capability n's name is NAMES.get(n), as linux/capability.h spells it (CAP_CHOWN = 0 ... 40). */
    static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
            "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    /** Every bit: the bounding set's value when it is not set, and {@code ~} alone. */
    public static final long ALL = -1L;

    /** The securebits(7) flags by systemd's names: bit 0 noroot up to bit 5 keep-caps-locked. */
    private static final List<String> SECURE_BITS = List.of("noroot", "noroot-locked", "no-setuid-fixup",
            "no-setuid-fixup-locked", "keep-caps", "keep-caps-locked");

    /** SECBIT_KEEP_CAPS: the permitted set survives a switch away from uid 0 (until the exec). */
    public static final int KEEP_CAPS = 1 << 4;

    /**
     * One {@code CapabilityBoundingSet=} or {@code AmbientCapabilities=} line over the set so far, as systemd's
     * config_parse_capability_set(): a list of names (or numbers), {@code ~} first to invert it. An empty list, or a
     * set still at its {@code initial} value, is replaced; otherwise the names are added (or, inverted, removed).
     *
     * @param initial the setting's value when unset: {@link #ALL} for the bounding set, 0 for the ambient one
     */
    public static long merge(long current, long initial, String value) throws InvalidValueException {
        boolean invert = value.startsWith("~");
        long sum = 0;
        for (String word : Words.split(invert ? value.substring(1) : value)) {
            // As systemd's capability_set_from_string(): a name this table does not know (a newer kernel's) is
            // skipped, so the rest of the line still counts.
            int n = number(word);
            if (n >= 0) sum |= 1L << n;
        }
        if (sum == 0 || current == initial) return invert ? ~sum : sum;
        return invert ? current & ~sum : current | sum;
    }

    /** A name as capabilities(7) gives it (any case, with or without {@code cap_}), or its number; -1 if unknown. */
    static int number(String word) throws InvalidValueException {
        if (!word.isEmpty() && word.chars().allMatch(Character::isDigit)) return (int) Values.integer(word, 0, 63);
        String name = word.toUpperCase(Locale.ROOT);
        return NAMES.indexOf(name.startsWith("CAP_") ? name : "CAP_" + name);
    }

    /** {@code SecureBits=}: names separated by spaces; empty for none. */
    public static int secureBits(String value) throws InvalidValueException {
        int bits = 0;
        for (String word : Words.split(value)) {
            int n = SECURE_BITS.indexOf(word);
            if (n < 0) throw new InvalidValueException("unknown secure bit '" + word + "' (one of "
                    + String.join(", ", SECURE_BITS) + ")");
            bits |= 1 << n;
        }
        return bits;
    }
}
