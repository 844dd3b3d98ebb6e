package vigil.supervise;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import vigil.model.ServiceSpec;
import vigil.os.Errno;
import vigil.os.OsException;
import vigil.service.Service;
import vigil.service.ServiceState;

/**
 * Keeps every supervised service's runit {@code supervise/} directory: holds its lock while Vigil supervises it,
 * and rewrites {@code pid}, {@code stat} and {@code status} on every change, so runit's {@code sv} and
 * daemontools' {@code svstat} read Vigil's services as their own.
 */
public final class SuperviseFiles {
    private final BiConsumer<String, String> say;
    /** Where a service whose directory cannot be written keeps its supervise/ state, by name; null: nowhere. */
    private final Path fallbackRoot;
    /** By spec identity: a service's spec is known before its first state change is reported. */
    private final Map<ServiceSpec, Tracked> bySpec = new IdentityHashMap<>();

    /** One open supervise directory and what was last written to it. */
    private static final class Tracked {
        final SuperviseDir dir;
        Instant stamp = Instant.now();
        int lastPid = -1;
        ServiceState.Runit lastState = ServiceState.Runit.DOWN;
        boolean writeFailed;

        Tracked(SuperviseDir dir) {
            this.dir = dir;
        }
    }

    /** @param say receives (service name, message) lines for the operator */
    public SuperviseFiles(BiConsumer<String, String> say) {
        this(say, null);
    }

    /**
     * @param fallbackRoot where to keep {@code supervise/} for a service directory that is read-only or not
     *                     writable: {@code fallbackRoot/NAME} (a logger's {@code NAME/log})
     */
    public SuperviseFiles(BiConsumer<String, String> say, Path fallbackRoot) {
        this.say = say;
        this.fallbackRoot = fallbackRoot;
    }

    /** The open supervise directory of the service (or logger) with this spec, or null. */
    public SuperviseDir directory(ServiceSpec spec) {
        Tracked tracked = bySpec.get(spec);
        return tracked == null ? null : tracked.dir;
    }

    /**
     * Opens (creating as needed) and locks the supervise directories of the service and its logger.
     *
     * @throws IOException naming the directory, e.g. when another supervisor holds the lock
     */
    public void open(ServiceSpec spec) throws IOException {
        SuperviseDir main = openFor(spec);
        if (spec.logger().isPresent()) {
            try {
                bySpec.put(spec.logger().get(), new Tracked(openFor(spec.logger().get())));
            } catch (IOException e) {
                main.close();
                throw e;
            }
        }
        bySpec.put(spec, new Tracked(main));
    }

    /** Releases the lock of this one service (a logger is closed on its own removal). */
    public void close(ServiceSpec spec) {
        Tracked tracked = bySpec.remove(spec);
        if (tracked != null) tracked.dir.close();
    }

    /** The service directory was renamed: reopen its supervise directories at the new path. */
    public void moved(ServiceSpec from, ServiceSpec to) {
        moveOne(from, to);
        if (from.logger().isPresent() && to.logger().isPresent()) moveOne(from.logger().get(), to.logger().get());
    }

    private void moveOne(ServiceSpec from, ServiceSpec to) {
        Tracked old = bySpec.remove(from);
        if (old == null) return;
        old.dir.close();
        try {
            Tracked moved = new Tracked(openFor(to));
            moved.stamp = old.stamp;
            bySpec.put(to, moved);
        } catch (IOException e) {
            say.accept(to.name(), "supervise/ is no longer kept after the rename: " + e.getMessage());
        }
    }

    /**
     * {@code DIR/supervise}, or, if the service directory is read-only or closed to Vigil (and there is no
     * {@code supervise} symlink leading somewhere writable), the fallback under the runtime directory.
     */
    private SuperviseDir openFor(ServiceSpec spec) throws IOException {
        try {
            return SuperviseDir.open(spec.directory());
        } catch (AlreadySupervisedException e) {
            throw e;
        } catch (IOException e) {
            if (fallbackRoot == null || !cannotWrite(e)) throw e;
            Path elsewhere = fallbackRoot.resolve(spec.name());
            SuperviseDir dir = SuperviseDir.openAt(elsewhere);
            say.accept(spec.name(), "keeping supervise/ in " + elsewhere + ": " + e.getMessage());
            return dir;
        }
    }

    private static boolean cannotWrite(IOException e) {
        return switch (e) {
            case OsException os -> os.errno() == Errno.EROFS || os.errno() == Errno.EACCES
                    || os.errno() == Errno.EPERM;
            case AccessDeniedException denied -> true;
            case FileSystemException fs -> Errno.describe(Errno.EROFS).equals(fs.getReason());
            default -> false;
        };
    }

    /** Rewrites the files from the service's state. The timestamp follows runit: set at start and at down. */
    public void stateChanged(Service service) {
        Tracked tracked = bySpec.get(service.spec());
        if (tracked == null) return;
        ServiceState.Runit state = service.state().runitState();
        int pid = service.pid();
        boolean started = state == ServiceState.Runit.RUN && pid != tracked.lastPid;
        boolean wentDown = state == ServiceState.Runit.DOWN && tracked.lastState != ServiceState.Runit.DOWN;
        if (started || wentDown) tracked.stamp = Instant.now();
        tracked.lastPid = pid;
        tracked.lastState = state;
        SuperviseState snapshot = new SuperviseState(runState(state), pid, want(service), service.paused(),
                service.gotTerm(), tracked.stamp);
        try {
            tracked.dir.write(snapshot);
            tracked.writeFailed = false;
        } catch (OsException e) {
            if (!tracked.writeFailed) say.accept(service.name(), "cannot write supervise/status: " + e.getMessage());
            tracked.writeFailed = true;
        }
    }

    private static SuperviseState.RunState runState(ServiceState.Runit state) {
        return switch (state) {
            case DOWN -> SuperviseState.RunState.DOWN;
            case RUN -> SuperviseState.RunState.RUN;
            case FINISH -> SuperviseState.RunState.FINISH;
        };
    }

    private static SuperviseState.Want want(Service service) {
        return switch (service.want()) {
            case UP -> SuperviseState.Want.UP;
            case DOWN -> SuperviseState.Want.DOWN;
            case EXIT -> SuperviseState.Want.EXIT;
        };
    }
}
