package vigil.daemon;

import java.util.Optional;
import vigil.os.Ending;

/** What began the daemon's stop: a signal, or a request over the control socket. */
public sealed interface StopCause {
    record Signalled(int signal) implements StopCause {}

    /** @param then how the requester wants the system to end afterwards, if the daemon is its init */
    record Requested(Optional<Ending> then) implements StopCause {}
}
