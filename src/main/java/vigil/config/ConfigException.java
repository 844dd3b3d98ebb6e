package vigil.config;

/**
 * A configuration file is wrong. The message names the file relative to the service directory, says what is wrong
 * and what was found, e.g. {@code notification-fd: "abc" is not a file descriptor number (need an integer >= 3)}.
 */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    /** The same problem seen from a parent directory: {@code log/} + the message. */
    ConfigException under(String prefix) {
        return new ConfigException(prefix + getMessage());
    }
}
