package vigil.daemon;

import java.util.Optional;
import vigil.os.Ending;

/** What began the daemon's stop: a signal, a request over the control socket, or a critical service's end. */
public sealed interface StopCause {
    record Signalled(int signal) implements StopCause {}

    /** @param then how the requester wants the system to end afterwards, if the daemon is its init */
    record Requested(Optional<Ending> then) implements StopCause {}

    /** A critical service (or {@code vigil run}'s one command) ended for good; the daemon exits {@code code}. */
    record CriticalEnded(String name, int code) implements StopCause {}
}
