package vigil.resources;

/**
 * A resource-control value that does not parse or is out of range. Carries only the reason: the caller knows the
 * file, line and directive, and says them.
 */
public final class BadResourceValue extends Exception {
    private static final long serialVersionUID = 1L;

    public BadResourceValue(String reason) {
        super(reason, null, false, false);
    }
}
