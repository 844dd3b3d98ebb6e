package vigil.os;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/** Linux x86-64/aarch64 signal numbers and their names, both ways. */
public final class Signals {
    private Signals() {}

    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
            SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
            SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
            SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28,
            SIGIO = 29, SIGPWR = 30, SIGSYS = 31;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "PWR", "SYS"
    };

    private static final Map<String, Integer> BY_NAME;

    static {
        var map = new java.util.HashMap<String, Integer>();
        for (int i = 1; i < NAMES.length; i++) map.put(NAMES[i], i);
        map.put("IOT", SIGABRT);
        map.put("POLL", SIGIO);
        map.put("CLD", SIGCHLD);
        BY_NAME = Map.copyOf(map);
    }

    /** "SIGTERM" for 15; "SIG42" for numbers without a name (real-time signals). */
    public static String name(int signal) {
        return signal > 0 && signal < NAMES.length ? "SIG" + NAMES[signal] : "SIG" + signal;
    }

    /** Parses "TERM", "SIGTERM", "sigterm" or "15"; empty if it is none of those. */
    public static OptionalInt parse(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (t.isEmpty()) return OptionalInt.empty();
        if (t.chars().allMatch(Character::isDigit)) {
            if (t.length() > 2) return OptionalInt.empty();
            int n = Integer.parseInt(t);
            return n >= 1 && n <= 64 ? OptionalInt.of(n) : OptionalInt.empty();
        }
        if (t.startsWith("SIG")) t = t.substring(3);
        Integer n = BY_NAME.get(t);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }
}
