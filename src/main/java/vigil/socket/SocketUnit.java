package vigil.socket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.unit.Listen;
import vigil.unit.SocketSection;

/**
 * One {@code .socket} unit at run time: its fds, whether the loop watches them, and its counts. Watched only while
 * it listens for an activation: an {@code Accept=no} socket whose service runs is not, so the service alone takes
 * its connections; an {@code Accept=yes} socket always is.
 */
final class SocketUnit {
    /** systemd's socket states, reduced to what Vigil tells apart. */
    enum State {
        INACTIVE,
        /** Running ExecStartPre= (nothing bound yet) or ExecStartPost= (bound, not yet watched). */
        START_PRE, START_POST,
        LISTENING, RUNNING,
        /** Running ExecStopPre= (still bound, not watched) or ExecStopPost= (closed). */
        STOP_PRE, STOP_POST,
        FAILED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    final String name;
    SocketSection section;
    State state = State.INACTIVE;
    /** Connections accepted (Accept=yes), or activations (Accept=no), since the daemon started. */
    long accepted;
    /** Accept=yes instances still running. */
    int connections;
    String lastError = "";
    /** The Exec*= list running, if one is. */
    SocketUnits.Run control;
    /** Why the unit is to end failed once its stop has run (a failed ExecStartPost=, a bind, the trigger limit). */
    String failure;
    /** A stop came while a start's command ran: the start goes no further. */
    boolean stopRequested;
    TriggerLimit trigger;
    private final List<Listener> listeners = new ArrayList<>();
    private final List<EventLoop.Registration> watches = new ArrayList<>();

    SocketUnit(String name, SocketSection section) {
        this.name = name;
        respec(section);
    }

    void respec(SocketSection changed) {
        section = changed;
        trigger = new TriggerLimit(changed.triggerLimitInterval().micros() * 1000, changed.triggerLimitBurst());
    }

    /** The service it activates: {@code Service=}, else the one of its own name. */
    String service() {
        return section.service().orElse(name.substring(0, name.length() - ".socket".length()) + ".service");
    }

    List<Listener> listeners() {
        return List.copyOf(listeners);
    }

    /**
     * Binds every address; on the first failure closes what was bound and rethrows.
     *
     * @return the socket options the kernel refused, which the sockets listen without (as systemd, a warning each)
     */
    List<String> open(OptionalInt uid, OptionalInt gid) throws BindFailure {
        Binder binder = new Binder(section, uid, gid);
        try {
            for (Listen listen : section.listens()) listeners.add(binder.bind(listen));
            symlinks();
        } catch (BindFailure e) {
            close();
            throw e;
        }
        return binder.warnings();
    }

    /**
     * After a re-exec: the fds the old daemon bound, one per {@code Listen*=} line in order (the caller checked the
     * count), described as {@link Binder} would have.
     */
    void adopt(List<Integer> fds) {
        for (int i = 0; i < fds.size(); i++) {
            Listen listen = section.listens().get(i);
            Optional<String> path = listen.kind() != Listen.Kind.SPECIAL
                    && listen.address() instanceof Listen.PathAddress p ? Optional.of(p.path()) : Optional.empty();
            listeners.add(new Listener(listen.kind(), fds.get(i), Binder.text(listen), path));
        }
    }

    /** Symlinks=: each points at the first file the unit made, as systemd's socket_symlink() does. */
    private void symlinks() throws BindFailure {
        if (section.symlinks().isEmpty()) return;
        String target = listeners.stream().filter(l -> l.path().isPresent()).map(l -> l.path().get()).findFirst()
                .orElseThrow(() -> new BindFailure("Symlinks= needs a socket or FIFO in the file system"));
        for (String link : section.symlinks()) {
            try {
                Path p = Path.of(link);
                Files.deleteIfExists(p);
                Files.createSymbolicLink(p, Path.of(target));
            } catch (IOException e) {
                throw new BindFailure("Symlinks=" + link + ": " + e.getMessage());
            }
        }
    }

    /** Watches every fd for a connection or a datagram (no polling: the loop wakes on EPOLLIN). */
    void arm(EventLoop loop, EventLoop.FdHandler handler) throws OsException {
        if (!watches.isEmpty()) return;
        for (Listener l : listeners) watches.add(loop.watch(l.fd(), Epoll.EPOLLIN, handler));
    }

    void disarm() {
        watches.forEach(EventLoop.Registration::cancel);
        watches.clear();
    }

    boolean armed() {
        return !watches.isEmpty();
    }

    /** Closes every fd; RemoveOnStop= removes the files and symlinks made. */
    void close() {
        disarm();
        for (Listener l : listeners) {
            Fds.close(l.fd());
            if (section.removeOnStop()) l.path().ifPresent(SocketUnit::delete);
        }
        if (section.removeOnStop()) section.symlinks().forEach(SocketUnit::delete);
        listeners.clear();
    }

    private static void delete(String path) {
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException ignored) {
            // Removing is a courtesy (RemoveOnStop=); a file that cannot go stays, as with systemd.
        }
    }

    /** The fds' names in LISTEN_FDNAMES: FileDescriptorName=, else the unit's name. */
    String fdName() {
        return section.fileDescriptorName().orElse(name);
    }
}
