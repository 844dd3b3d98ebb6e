package vigil.model;

/** How a service tells Vigil it is ready, beyond merely running. */
public sealed interface Readiness {
    /** Ready as soon as it runs: plain runit semantics. */
    record OnStart() implements Readiness {}

    /** s6's {@code notification-fd}: the service writes a newline to this fd when ready. */
    record NotificationFd(int fd) implements Readiness {
        public NotificationFd {
            if (fd < 3) throw new IllegalArgumentException("notification-fd must be 3 or more, not " + fd);
        }
    }

    /** sd_notify: the service gets a {@code NOTIFY_SOCKET} and is ready when it sends {@code READY=1}. */
    record SdNotify() implements Readiness {}

    /** A {@code check} program, run until it exits 0. */
    record Probe(Command check) implements Readiness {}
}
