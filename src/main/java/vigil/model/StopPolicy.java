package vigil.model;

import java.time.Duration;

/**
 * How to stop a service: the signal to send (always followed by CONT), when to escalate to KILL, and how long
 * {@code finish} may run before it is killed.
 *
 * @param timeoutKill {@link Duration#ZERO} means never send KILL (s6's default)
 * @param timeoutFinish {@link Duration#ZERO} means finish may run forever (as in s6)
 */
public record StopPolicy(int downSignal, Duration timeoutKill, Duration timeoutFinish) {
    public static final int SIGTERM = 15;
    public static final StopPolicy DEFAULT = new StopPolicy(SIGTERM, Duration.ZERO, Duration.ofSeconds(5));
}
