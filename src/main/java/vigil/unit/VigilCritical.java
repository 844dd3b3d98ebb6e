package vigil.unit;

/**
 * {@code X-Vigil-Critical=} in [Service]: Vigil's own setting, an {@code X-} key so that systemd skips it
 * silently. A critical service's end for good ends the daemon (and a container's init) with its exit code, as a
 * container ends with tini's one child. In [Service] rather than [Unit]: it is about a main process's exit, which
 * only a service has.
 */
public final class VigilCritical {
    private VigilCritical() {}

    public static final String KEY = "X-Vigil-Critical";
    static final String SECTION = "Service";

    /** Whether {@code entry} is this setting, which the compiler checks though it skips other X- keys. */
    static boolean is(Parser.Entry entry) {
        return entry.section().equals(SECTION) && entry.key().equals(KEY);
    }

    /** The setting as the unit's files leave it: the last assignment wins, an empty one resets it to no. */
    static boolean of(UnitFile file) throws InvalidValueException {
        boolean critical = false;
        for (Parser.Entry e : file.entries(SECTION)) {
            if (e.key().equals(KEY)) critical = !e.value().isEmpty() && Values.bool(e.value());
        }
        return critical;
    }
}
