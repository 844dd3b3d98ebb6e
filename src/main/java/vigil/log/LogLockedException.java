package vigil.log;

import java.io.IOException;
import java.nio.file.Path;

/** A log directory's {@code lock} is held: another logger (a Vigil daemon, svlogd) writes it. */
public final class LogLockedException extends IOException {
    public LogLockedException(Path dir) {
        super(dir + " is locked by another logger");
    }
}
