package vigil.config;

import java.io.IOException;
import vigil.os.Errno;
import vigil.os.IoErrors;

/**
 * A configuration file is wrong. The message names the file relative to the service directory, says what is wrong
 * and what was found, e.g. {@code notification-fd: "abc" is not a file descriptor number (need an integer >= 3)}.
 */
public final class ConfigException extends Exception {
    private final boolean shortage;

    public ConfigException(String message) {
        this(message, false);
    }

    private ConfigException(String message, boolean shortage) {
        super(message);
        this.shortage = shortage;
    }

    /** A file could not be read: {@code context} + the reason; a shortage if fds or memory ran out. */
    static ConfigException io(String context, IOException cause) {
        return new ConfigException(context + IoErrors.reason(cause), Errno.isShortage(cause));
    }

    /** Out of fds or memory: nothing is wrong with the files, and loading again later may well work. */
    public boolean shortage() {
        return shortage;
    }

    /** The same problem seen from a parent directory: {@code log/} + the message. */
    ConfigException under(String prefix) {
        return new ConfigException(prefix + getMessage(), shortage);
    }
}
