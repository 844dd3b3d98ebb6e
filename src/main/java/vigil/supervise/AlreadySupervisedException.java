package vigil.supervise;

import java.io.IOException;

/** Another process (a runsv, or a second Vigil) holds the {@code supervise/lock} of a service directory. */
public final class AlreadySupervisedException extends IOException {
    public AlreadySupervisedException(String message) {
        super(message);
    }
}
