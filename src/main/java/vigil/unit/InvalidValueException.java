package vigil.unit;

/**
 * A value that does not parse. Thrown by the value parsers with just the reason; the caller knows the file, line,
 * key and value and turns it into a {@link Diagnostic}.
 */
public final class InvalidValueException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidValueException(String reason) {
        super(reason, null, false, false);
    }
}
