package vigil.reexec;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.model.Credentials;
import vigil.model.RestartPolicy;
import vigil.service.ServiceSnapshot;
import vigil.service.ServiceState;
import vigil.service.UnitSnapshot;

/**
 * What an old daemon hands to the new one across {@code daemon-reexec}: the state of every service directory, unit
 * and transient service, and the number of every fd the new one takes over. The fds themselves survive the exec
 * (their close-on-exec flag is cleared); this says what each one is.
 *
 * @param controlFd  the listening control socket, if the daemon has one
 * @param reply      the connection that asked for the re-exec, to be answered by the new daemon once it is up
 * @param pairs      every service directory, with its logger (transient services' included)
 * @param units      every systemd unit
 * @param transients what makes each transient service, whose pair is in {@code pairs}
 * @param sockets    every socket unit that is bound, with its fds: a client queued in a backlog is not lost
 * @param fdStore    every fd the services' stores hold (FDSTORE=1)
 */
public record Handover(OptionalInt controlFd, Optional<Reply> reply, List<Pair> pairs, List<Unit> units,
                       List<Transient> transients, List<Socket> sockets, List<StoredFd> fdStore) {
    public Handover {
        Objects.requireNonNull(controlFd);
        Objects.requireNonNull(reply);
        pairs = List.copyOf(pairs);
        units = List.copyOf(units);
        transients = List.copyOf(transients);
        sockets = List.copyOf(sockets);
        fdStore = List.copyOf(fdStore);
    }

    /**
     * One bound socket unit: its fds in the order of its {@code Listen*=} lines.
     *
     * @param running  its service runs and has the fds to itself (Accept=no): the new daemon does not watch them
     * @param accepted connections accepted (or activations) so far, for {@code list-sockets}
     */
    public record Socket(String unit, List<Integer> fds, boolean running, long accepted) {
        public Socket {
            Objects.requireNonNull(unit);
            fds = List.copyOf(fds);
        }
    }

    /** One fd of a service's store, under the name it is passed with. */
    public record StoredFd(String unit, int fd, String name) {
        public StoredFd {
            Objects.requireNonNull(unit);
            Objects.requireNonNull(name);
        }
    }

    /**
     * One systemd unit. The new daemon loads its file again and takes it up in this state.
     *
     * @param log      its built-in log's pipe (where {@code journal} output goes)
     * @param notifyFd its sd_notify socket, if it has one
     */
    public record Unit(String name, UnitSnapshot state, LogPipe log, OptionalInt notifyFd) {
        public Unit {
            Objects.requireNonNull(name);
            Objects.requireNonNull(state);
            Objects.requireNonNull(log);
            Objects.requireNonNull(notifyFd);
        }
    }

    /**
     * What makes a transient service ({@code vigil add}) beside its pair: nothing on disk says it, so the new
     * daemon makes its spec again from this.
     *
     * @param owner the uid that added it
     * @param user  who it runs as; empty: as the daemon
     */
    public record Transient(String name, int owner, String executable, List<String> argv, String cwd,
                            Map<String, String> environment, Optional<Credentials> user,
                            RestartPolicy.When restart) {
        public Transient {
            Objects.requireNonNull(name);
            Objects.requireNonNull(executable);
            argv = List.copyOf(argv);
            Objects.requireNonNull(cwd);
            environment = Map.copyOf(environment);
            Objects.requireNonNull(user);
            Objects.requireNonNull(restart);
        }
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
        for (Unit u : units) {
            fds.add(u.log().readFd());
            fds.add(u.log().writeFd());
            u.notifyFd().ifPresent(fds::add);
        }
        for (Socket s : sockets) fds.addAll(s.fds());
        for (StoredFd s : fdStore) fds.add(s.fd());
        return fds;
    }
}
