package vigil.resources;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import vigil.model.ResourceLimits;
import vigil.model.ResourceLimits.Bandwidth;
import vigil.model.ResourceLimits.DevicePolicy;
import vigil.model.ResourceLimits.DeviceRule;
import vigil.model.ResourceLimits.OomPolicy;

/**
 * Reads systemd's resource-control directives (systemd.resource-control(5), and {@code OOMPolicy=} of
 * systemd.service(5)) with systemd's syntax, one assignment at a time in file order, into a {@link ResourceLimits}.
 * An empty value resets the directive, as in systemd. Shared by unit files and service directories' {@code resources}
 * files, so both read the same values the same way.
 */
public final class ResourceSettings {
    /** Every directive read here; unit loading routes exactly these to {@link #set}. */
    public static final Set<String> DIRECTIVES = Set.of("MemoryMin", "MemoryLow", "MemoryHigh", "MemoryMax",
            "MemorySwapMax", "CPUQuota", "CPUWeight", "AllowedCPUs", "TasksMax", "IOWeight", "IOReadBandwidthMax",
            "IOWriteBandwidthMax", "DeviceAllow", "DevicePolicy", "Delegate", "Slice", "OOMPolicy");

    private static final Map<Character, Integer> BINARY_SHIFT = Map.of('K', 10, 'M', 20, 'G', 30, 'T', 40,
            'P', 50, 'E', 60, 'B', 0);
    private static final long WEIGHT_MIN = 1;
    private static final long WEIGHT_MAX = 10_000;

    private final Machine machine;
    private OptionalLong memoryMin = OptionalLong.empty();
    private OptionalLong memoryLow = OptionalLong.empty();
    private OptionalLong memoryHigh = OptionalLong.empty();
    private OptionalLong memoryMax = OptionalLong.empty();
    private OptionalLong memorySwapMax = OptionalLong.empty();
    private OptionalLong cpuQuota = OptionalLong.empty();
    private OptionalLong cpuWeight = OptionalLong.empty();
    private Optional<String> allowedCpus = Optional.empty();
    private OptionalLong tasksMax = OptionalLong.empty();
    private OptionalLong ioWeight = OptionalLong.empty();
    private final List<Bandwidth> readBandwidth = new ArrayList<>();
    private final List<Bandwidth> writeBandwidth = new ArrayList<>();
    private final List<DeviceRule> deviceAllow = new ArrayList<>();
    private DevicePolicy devicePolicy = DevicePolicy.AUTO;
    private boolean delegate;
    private Optional<String> slice = Optional.empty();
    private OomPolicy oomPolicy = OomPolicy.STOP;

    /**
     * What percentages are of: systemd scales {@code MemoryMax=50%} by the physical memory and {@code TasksMax=10%}
     * by the kernel's task limit.
     */
    public record Machine(long physicalMemory, long tasksMax) {
        /**
         * This machine: MemTotal of /proc/meminfo and the lower of pid_max and threads-max, read once (at the
         * first unit that loads), so loading 10,000 units reads /proc no more than one does.
         */
        public static Machine current() {
            return Current.MACHINE;
        }
    }

    private static final class Current {
        static final Machine MACHINE = new Machine(HostFacts.physicalMemory(), HostFacts.tasksMax());
    }

    public ResourceSettings(Machine machine) {
        this.machine = machine;
    }

    /**
     * Applies {@code key=value}.
     *
     * @throws IllegalArgumentException if {@code key} is not one of {@link #DIRECTIVES}
     * @throws BadResourceValue saying what is wrong with the value; nothing is changed then
     */
    public void set(String key, String value) throws BadResourceValue {
        String v = value.strip();
        boolean empty = v.isEmpty();
        switch (key) {
            case "MemoryMin" -> memoryMin = empty ? OptionalLong.empty() : OptionalLong.of(memory(v, true));
            case "MemoryLow" -> memoryLow = empty ? OptionalLong.empty() : OptionalLong.of(memory(v, true));
            case "MemoryHigh" -> memoryHigh = empty ? OptionalLong.empty() : OptionalLong.of(memory(v, false));
            case "MemoryMax" -> memoryMax = empty ? OptionalLong.empty() : OptionalLong.of(memory(v, false));
            case "MemorySwapMax" -> memorySwapMax = empty ? OptionalLong.empty() : OptionalLong.of(memory(v, true));
            case "CPUQuota" -> cpuQuota = empty ? OptionalLong.empty() : OptionalLong.of(cpuQuota(v));
            case "CPUWeight" -> cpuWeight = empty ? OptionalLong.empty()
                    : OptionalLong.of(v.equals("idle") ? ResourceLimits.IDLE_WEIGHT : weight(v));
            case "AllowedCPUs" -> allowedCpus = empty ? Optional.empty() : Optional.of(cpuSet(v));
            case "TasksMax" -> tasksMax = empty ? OptionalLong.empty() : OptionalLong.of(tasks(v));
            case "IOWeight" -> ioWeight = empty ? OptionalLong.empty() : OptionalLong.of(weight(v));
            case "IOReadBandwidthMax" -> bandwidth(readBandwidth, v);
            case "IOWriteBandwidthMax" -> bandwidth(writeBandwidth, v);
            case "DeviceAllow" -> {
                if (empty) deviceAllow.clear();
                else deviceAllow.add(deviceRule(v));
            }
            case "DevicePolicy" -> devicePolicy = empty ? DevicePolicy.AUTO : oneOf(DevicePolicy.class, v,
                    "device policy");
            case "Delegate" -> delegate = !empty && delegate(v);
            case "Slice" -> slice = empty ? Optional.empty() : Optional.of(sliceName(v));
            case "OOMPolicy" -> oomPolicy = empty ? OomPolicy.STOP : oneOf(OomPolicy.class, v, "OOM policy");
            default -> throw new IllegalArgumentException(key + " is not a resource-control directive");
        }
    }

    public ResourceLimits build() {
        return new ResourceLimits(memoryMin, memoryLow, memoryHigh, memoryMax, memorySwapMax, cpuQuota, cpuWeight,
                allowedCpus, tasksMax, ioWeight, readBandwidth, writeBandwidth, deviceAllow, devicePolicy, delegate,
                slice, oomPolicy);
    }

    // ---- the value syntaxes, as systemd's parse_size(), parse_permille(), cg_weight_parse()... ----

    /**
     * {@code infinity}, a percentage of physical memory, or a size with K, M, G, T, P, E (base 1024) or B. Only the
     * protections and MemorySwapMax= may be 0 (systemd's config_parse_memory_limit()).
     */
    private long memory(String v, boolean zeroAllowed) throws BadResourceValue {
        if (v.equals("infinity")) return ResourceLimits.INFINITY;
        long bytes;
        if (v.endsWith("%") || v.endsWith("‰")) {
            long permille = permille(v);
            bytes = BigDecimal.valueOf(machine.physicalMemory()).multiply(BigDecimal.valueOf(permille))
                    .divideToIntegralValue(BigDecimal.valueOf(1000)).longValueExact();
        } else {
            bytes = size(v, 1024);
        }
        if (bytes == 0 && !zeroAllowed) throw new BadResourceValue("a memory limit of 0 is not allowed here");
        return bytes;
    }

    /** A size: one or more NUMBER[.FRACTION][SUFFIX] parts, summed; {@code base} 1024 or 1000. */
    static long size(String v, int base) throws BadResourceValue {
        BigDecimal total = BigDecimal.ZERO;
        int i = 0;
        int n = v.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(v.charAt(i))) i++;
            int start = i;
            while (i < n && (Character.isDigit(v.charAt(i)) || v.charAt(i) == '.')) i++;
            String number = v.substring(start, i);
            if (number.isEmpty() || number.startsWith(".") || number.endsWith(".")
                    || number.indexOf('.') != number.lastIndexOf('.')) {
                throw new BadResourceValue("'" + v + "' is not a size (a number, then K, M, G, T, P or E)");
            }
            while (i < n && Character.isWhitespace(v.charAt(i))) i++;
            int shift = 0;
            if (i < n && !Character.isDigit(v.charAt(i))) {
                Integer s = BINARY_SHIFT.get(v.charAt(i));
                if (s == null) throw new BadResourceValue("'" + v + "': unknown size suffix '" + v.charAt(i)
                        + "' (K, M, G, T, P, E or B)");
                shift = s;
                i++;
            }
            BigDecimal factor = base == 1024 ? BigDecimal.valueOf(2).pow(shift)
                    : BigDecimal.valueOf(1000).pow(shift / 10);
            total = total.add(new BigDecimal(number).multiply(factor));
        }
        if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0) {
            throw new BadResourceValue("'" + v + "' is too large");
        }
        return total.longValue();
    }

    /** {@code 50%}, {@code 50.5%} or {@code 505‰}, at most 100%. */
    private static long permille(String v) throws BadResourceValue {
        try {
            long permille = v.endsWith("‰") ? Long.parseLong(v.substring(0, v.length() - 1))
                    : new BigDecimal(v.substring(0, v.length() - 1)).movePointRight(1).longValueExact();
            if (permille < 0 || permille > 1000) throw new BadResourceValue("'" + v + "' is not within 0%..100%");
            return permille;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BadResourceValue("'" + v + "' is not a percentage (at most one decimal)");
        }
    }

    /** {@code CPUQuota=20%}: more than 0, above 100% for several CPUs, up to two decimals. */
    private static long cpuQuota(String v) throws BadResourceValue {
        if (!v.endsWith("%")) throw new BadResourceValue("'" + v + "' is not a percentage, like 20% or 150%");
        try {
            long permyriad = new BigDecimal(v.substring(0, v.length() - 1)).movePointRight(2).longValueExact();
            if (permyriad <= 0) throw new BadResourceValue("a CPU quota must be more than 0%");
            return permyriad * 100; // microseconds of CPU per second: 1% is 10,000 µs
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BadResourceValue("'" + v + "' is not a percentage (at most two decimals)");
        }
    }

    private static long weight(String v) throws BadResourceValue {
        try {
            long w = Long.parseLong(v);
            if (w >= WEIGHT_MIN && w <= WEIGHT_MAX) return w;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new BadResourceValue("'" + v + "' is not a weight from 1 to 10000");
    }

    /** {@code TasksMax=}: a count of at least 1, a percentage of the kernel's limit, or infinity. */
    private long tasks(String v) throws BadResourceValue {
        if (v.equals("infinity")) return ResourceLimits.INFINITY;
        if (v.endsWith("%")) {
            long permyriad;
            try {
                permyriad = new BigDecimal(v.substring(0, v.length() - 1)).movePointRight(2).longValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new BadResourceValue("'" + v + "' is not a percentage (at most two decimals)");
            }
            if (permyriad <= 0 || permyriad > 10_000) throw new BadResourceValue("'" + v + "' is not within 0%..100%");
            return Math.max(1, machine.tasksMax() * permyriad / 10_000);
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new BadResourceValue("'" + v + "' is not a task count of at least 1, a percentage or infinity");
    }

    /** A CPU list as systemd's parse_cpu_set() reads it (numbers and ranges, by spaces or commas), normalised. */
    static String cpuSet(String v) throws BadResourceValue {
        var cpus = new TreeSet<Integer>();
        for (String word : v.split("[\\s,]+")) {
            if (word.isEmpty()) continue;
            try {
                int dash = word.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? word : word.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(word.substring(dash + 1));
                if (from < 0 || to < from || to >= 8192) throw new NumberFormatException();
                for (int c = from; c <= to; c++) cpus.add(c);
            } catch (NumberFormatException e) {
                throw new BadResourceValue("'" + word + "' is not a CPU number or range (like 0-3)");
            }
        }
        var out = new StringBuilder();
        Integer start = null;
        Integer last = null;
        for (int c : cpus) {
            if (last != null && c == last + 1) {
                last = c;
                continue;
            }
            if (start != null) appendRange(out, start, last);
            start = c;
            last = c;
        }
        if (start != null) appendRange(out, start, last);
        return out.toString();
    }

    private static void appendRange(StringBuilder out, int from, int to) {
        if (!out.isEmpty()) out.append(',');
        out.append(from);
        if (to > from) out.append('-').append(to);
    }

    /** {@code PATH BYTES}: an absolute path and a rate in bytes per second, base 1000, or infinity. */
    private static void bandwidth(List<Bandwidth> list, String v) throws BadResourceValue {
        if (v.isEmpty()) {
            list.clear();
            return;
        }
        String[] parts = v.split("\\s+", 2);
        if (parts.length < 2) throw new BadResourceValue("'" + v + "' needs a device path and a rate");
        if (!parts[0].startsWith("/")) throw new BadResourceValue("'" + parts[0] + "' is not an absolute path");
        long rate = parts[1].equals("infinity") ? ResourceLimits.INFINITY : size(parts[1], 1000);
        if (rate <= 0) throw new BadResourceValue("a bandwidth limit must be more than 0");
        list.add(new Bandwidth(parts[0], rate));
    }

    /** {@code DeviceAllow=/dev/sda rw}, {@code char-pts r}: a /dev path or a class, and a subset of rwm. */
    private static DeviceRule deviceRule(String v) throws BadResourceValue {
        String[] parts = v.split("\\s+", 2);
        String device = parts[0];
        if (!device.startsWith("/dev/") && !device.startsWith("char-") && !device.startsWith("block-")) {
            throw new BadResourceValue("'" + device + "' is not a /dev path, char-CLASS or block-CLASS");
        }
        String access = parts.length < 2 ? "rwm" : parts[1].strip();
        if (access.isEmpty() || !access.chars().allMatch(c -> c == 'r' || c == 'w' || c == 'm')) {
            throw new BadResourceValue("'" + access + "' is not a device access of r, w and m");
        }
        var ordered = new StringBuilder();
        for (char c : "rwm".toCharArray()) if (access.indexOf(c) >= 0) ordered.append(c);
        return new DeviceRule(device, ordered.toString());
    }

    /** A boolean, or a list of controllers (which delegates: Vigil hands over the whole subtree either way). */
    private static boolean delegate(String v) throws BadResourceValue {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "yes", "true", "on", "1" -> {
                return true;
            }
            case "no", "false", "off", "0" -> {
                return false;
            }
            default -> {
                Set<String> known = Set.of("cpu", "cpuacct", "cpuset", "io", "blkio", "memory", "devices", "pids",
                        "bpf-firewall", "bpf-devices", "bpf-foreign", "bpf-socket-bind",
                        "bpf-restrict-network-interfaces");
                for (String c : v.split("\\s+")) {
                    if (!known.contains(c)) throw new BadResourceValue("'" + c + "' is not a boolean or a controller");
                }
                return true;
            }
        }
    }

    /** A {@code .slice} unit name: not a template, characters systemd allows in unit names. */
    static String sliceName(String v) throws BadResourceValue {
        if (!v.endsWith(".slice") || v.length() <= ".slice".length() || v.length() > 255
                || !v.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || ":-_.\\".indexOf(c) >= 0)
                || v.contains("@")) {
            throw new BadResourceValue("'" + v + "' is not a slice unit name (NAME.slice)");
        }
        String prefix = v.substring(0, v.length() - ".slice".length());
        if (!prefix.equals("-") && (prefix.startsWith("-") || prefix.endsWith("-") || prefix.contains("--"))) {
            throw new BadResourceValue("'" + v + "' is not a valid slice name: dashes separate its parents");
        }
        return v;
    }

    private static <E extends Enum<E>> E oneOf(Class<E> type, String v, String what) throws BadResourceValue {
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(v)) return e;
        }
        var names = new ArrayList<String>();
        for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
        throw new BadResourceValue("'" + v + "' is not a " + what + " (" + String.join(", ", names) + ")");
    }
}
