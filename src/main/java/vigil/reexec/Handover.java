package vigil.reexec;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceState;

/**
 * What an old daemon hands to the new one across {@code daemon-reexec}: the state of every service directory and
 * the number of every fd the new one takes over. The fds themselves survive the exec (their close-on-exec flag is
 * cleared); this says what each one is.
 *
 * @param controlFd the listening control socket, if the daemon has one
 * @param reply     the connection that asked for the re-exec, to be answered by the new daemon once it is up
 * @param pairs     every service directory, with its logger
 */
public record Handover(OptionalInt controlFd, Optional<Reply> reply, List<Pair> pairs) {
    public Handover {
        Objects.requireNonNull(controlFd);
        Objects.requireNonNull(reply);
        pairs = List.copyOf(pairs);
    }

    /** @param id the request's id, as the client sent it (a JSON number or string, or null) */
    public record Reply(int fd, Object id) {}

    /**
     * One service directory.
     *
     * @param directory        where its spec is loaded from again by the new daemon's scan
     * @param logger           its logger's state, if it has a {@code log/}
     * @param pipe             the pipe between the service and its logger, if it has one
     * @param log              the built-in log's pipe
     * @param superviseMain    its supervise/, if it was open
     * @param superviseLogger  its logger's supervise/, if it was open
     */
    public record Pair(String name, String directory, ServiceSnapshot main, Optional<ServiceSnapshot> logger,
                       Optional<PipeFds> pipe, LogPipe log, Optional<Supervise> superviseMain,
                       Optional<Supervise> superviseLogger) {
        public Pair {
            Objects.requireNonNull(name);
            Objects.requireNonNull(directory);
            Objects.requireNonNull(main);
            Objects.requireNonNull(logger);
            Objects.requireNonNull(pipe);
            Objects.requireNonNull(log);
            Objects.requireNonNull(superviseMain);
            Objects.requireNonNull(superviseLogger);
        }
    }

    /** A pipe's two ends; -1 for an end already closed. */
    public record PipeFds(int readFd, int writeFd) {}

    /**
     * A built-in log's pipe, and the line the old daemon had begun reading and not ended: the new daemon logs it
     * first, then what waits in the pipe, so the line is whole.
     */
    public record LogPipe(int readFd, int writeFd, byte[] partial) {
        public LogPipe {
            partial = partial.clone();
        }

        @Override
        public byte[] partial() {
            return partial.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LogPipe l && l.readFd == readFd && l.writeFd == writeFd
                    && java.util.Arrays.equals(l.partial, partial);
        }

        @Override
        public int hashCode() {
            return Objects.hash(readFd, writeFd, java.util.Arrays.hashCode(partial));
        }
    }

    /**
     * An open supervise/ directory: its lock (still held) and FIFOs, and what runit's status file says of it.
     *
     * @param okFd -1 when {@code ok} is a second name of the control FIFO
     */
    public record Supervise(String directory, int lockFd, int controlFd, int okFd, Instant stamp, int lastPid,
                            ServiceState.Runit lastState) {}

    /** Every fd named here: exactly these survive the exec. */
    public List<Integer> fds() {
        List<Integer> fds = new java.util.ArrayList<>();
        controlFd.ifPresent(fds::add);
        reply.ifPresent(r -> fds.add(r.fd()));
        for (Pair p : pairs) {
            p.pipe().ifPresent(f -> {
                if (f.readFd() >= 0) fds.add(f.readFd());
                if (f.writeFd() >= 0) fds.add(f.writeFd());
            });
            fds.add(p.log().readFd());
            fds.add(p.log().writeFd());
            for (Optional<Supervise> s : List.of(p.superviseMain(), p.superviseLogger())) {
                s.ifPresent(d -> {
                    fds.add(d.lockFd());
                    fds.add(d.controlFd());
                    if (d.okFd() >= 0) fds.add(d.okFd());
                });
            }
        }
        return fds;
    }
}
