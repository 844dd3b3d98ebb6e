package vigil.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.model.Credentials;
import vigil.model.DirectorySpec;
import vigil.model.Readiness;
import vigil.model.RestartPolicy;
import vigil.model.StopPolicy;
import vigil.os.FsCredentials;
import vigil.os.OsException;
import vigil.os.UnixSocket.PeerCredentials;
import vigil.service.Service;
import vigil.service.Want;

/**
 * The services that {@code vigil add} makes: supervised from memory, with their {@code supervise/} state in a
 * directory of their own under the runtime directory, until {@code vigil remove}. Requests come on the loop thread;
 * what they need of the disk (the passwd file, the working directory and PATH checks, making and deleting the
 * directory) is done on {@code io}, so a slow or hung file system never holds the loop.
 */
final class TransientServices {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,63}");
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final EventLoop loop;
    private final ControlHost host;
    private final Access access;
    private final Path root;
    private final Users users;
    private final Executor io;
    private final ServiceWaits waits;
    private final BiFunction<Object, Service, Map<String, Object>> okWith;
    private final Consumer<String> say;
    private final int limitPerUser;
    /** Transient services by name, with the uid that added them. */
    private final Map<String, Integer> byName = new HashMap<>();
    /**
     * Names of adds whose disk work is under way, with the uid adding each: taken, so that two adds of one name
     * cannot both go ahead, and counted against the uid's limit.
     */
    private final Map<String, Integer> pending = new HashMap<>();
    /** Removed transient services whose files the daemon has not closed yet; their directories go after. */
    private final Set<Service> closing = new HashSet<>();

    /**
     * @param root   where each transient service gets its directory
     * @param io     runs the disk work, off the loop thread, in the order given
     * @param okWith       the ok reply to a request, with the service's status
     * @param limitPerUser how many transient services each user but root and the daemon's owner may have
     */
    TransientServices(EventLoop loop, ControlHost host, Access access, Path root, Users users, Executor io,
                      ServiceWaits waits, BiFunction<Object, Service, Map<String, Object>> okWith,
                      Consumer<String> say, int limitPerUser) {
        this.limitPerUser = limitPerUser;
        this.loop = loop;
        this.host = host;
        this.access = access;
        this.root = root;
        this.users = users;
        this.io = io;
        this.waits = waits;
        this.okWith = okWith;
        this.say = say;
    }

    boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * Root's configuration ({@code where}: a service directory or a unit file) claims {@code name}: if another
     * user's transient service holds it, that one is stopped and removed, with a message, and true is returned
     * (the claim then waits for the name to be free). Root's and the daemon owner's own transient services are
     * theirs to remove, so they keep the name.
     */
    boolean giveWay(String name, String where) {
        Integer uid = byName.get(name);
        if (uid == null || uid == 0 || uid == access.daemonUid()) return false;
        if (host.service(name).filter(s -> s.want() == Want.EXIT).isPresent()) return true; // on its way out
        say.accept(name + ": the transient service added by uid " + uid + " is stopped and removed: " + where
                + " takes the name");
        host.remove(name);
        return true;
    }

    /** What the disk work of an add made: the command to run and the service's directory. */
    private record Prepared(Command run, Path directory) {}

    /**
     * Checks what can be checked at once, then holds the client while the disk work is done off the loop; the
     * reply comes when the service is supervised, or with the reason it is not.
     */
    void add(ControlServer.Client client, Object id, Request.Add a) throws Failure {
        PeerCredentials caller = client.peer();
        if (!NAME.matcher(a.name()).matches()) {
            throw new Failure(Error.BAD_REQUEST, "\"" + a.name() + "\" is not a service name: use letters, digits "
                    + "and _.@:+- (64 at most), starting with a letter or digit");
        }
        if (host.stopping()) throw new Failure(Error.SHUTTING_DOWN, a.name() + ": the daemon is shutting down");
        checkFree(a.name());
        checkMayRunAs(caller, a);
        checkLimit(caller, a.name());
        Path cwd = Path.of(a.cwd());
        if (!cwd.isAbsolute()) throw new Failure(Error.BAD_REQUEST, "\"cwd\" must be an absolute path");
        pending.put(a.name(), caller.uid());
        client.hold();
        io.execute(() -> {
            Prepared prepared = null;
            Failure failure = null;
            Throwable bug = null;
            try {
                prepared = prepare(caller, a, cwd);
            } catch (Failure f) {
                failure = f;
            } catch (RuntimeException | java.lang.Error e) {
                // Out of threads or memory, or a bug: the client still gets its answer and its connection back.
                bug = e;
                failure = new Failure(Error.FAILED, "internal error: " + e);
            }
            Prepared made = prepared;
            Failure failed = failure;
            Throwable internal = bug;
            loop.execute(() -> {
                if (internal != null) say.accept("control: internal error on add " + a.name() + ": " + internal);
                finishAdd(client, id, caller, a, made, failed);
            });
        });
    }

    private void checkFree(String name) throws Failure {
        Optional<Service> existing = host.service(name);
        if (existing.isPresent()) {
            String where = byName.containsKey(name) ? "a transient service"
                    : "supervised from " + existing.get().spec().directory();
            throw new Failure(Error.EXISTS, name + ": the name is taken (" + where + ")");
        }
        if (pending.containsKey(name)) throw new Failure(Error.EXISTS, name + ": the name is being added");
        if (name.contains(".") && host.unit(name).isPresent()) {
            throw new Failure(Error.EXISTS, name + ": the name is taken (a unit)");
        }
    }

    /** Each user but root and the daemon's owner may have {@link #limitPerUser} transient services at most. */
    private void checkLimit(PeerCredentials caller, String name) throws Failure {
        if (access.isOwner(caller)) return;
        int uid = caller.uid();
        long held = byName.values().stream().filter(u -> u == uid).count()
                + pending.values().stream().filter(u -> u == uid).count();
        if (limitPerUser == 0) {
            throw new Failure(Error.LIMIT, name + ": refused: this daemon takes no transient services from users "
                    + "other than root");
        }
        if (held >= limitPerUser) {
            throw new Failure(Error.LIMIT, name + ": refused: uid " + uid + " already has " + held
                    + " transient services, the most this daemon allows a user other than root; remove one first");
        }
    }

    /** Who may choose the user, and whether this daemon can start processes as the caller at all. */
    private void checkMayRunAs(PeerCredentials caller, Request.Add a) throws Failure {
        if (a.user().isPresent()) {
            if (caller.uid() != 0) {
                throw new Failure(Error.PERMISSION_DENIED, a.name() + ": permission denied: only root may choose "
                        + "the user a service runs as; services added by uid " + caller.uid() + " run as uid "
                        + caller.uid());
            }
            return;
        }
        if (caller.uid() != access.daemonUid() && access.daemonUid() != 0) {
            throw new Failure(Error.PERMISSION_DENIED, a.name() + ": permission denied: this daemon runs as uid "
                    + access.daemonUid() + " and cannot start processes as uid " + caller.uid()
                    + "; a daemon run by uid " + caller.uid() + " or by root can");
        }
    }

    /** Off the loop: who it runs as, the checks of its working directory and program, and its directory. */
    private Prepared prepare(PeerCredentials caller, Request.Add a, Path cwd) throws Failure {
        Optional<Credentials> user = runAs(caller, a);
        Credentials effective = user.orElse(Credentials.of(access.daemonUid(), access.daemonUid()));
        Map<String, String> env = new LinkedHashMap<>(a.environment());
        Path program = asUser(effective, a.name(), () -> {
            Access.checkReachable(cwd, effective.uid());
            return program(a, env, cwd, effective);
        });
        Path directory = root.resolve(a.name());
        try {
            Files.createDirectories(directory,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException e) {
            throw new Failure(Error.FAILED, a.name() + ": cannot make " + directory + ": " + e.getMessage());
        }
        return new Prepared(new Command(program, a.argv(), cwd, env, user), directory);
    }

    /**
     * Runs the checks as the service's user, when that is not the daemon's own: as root they would answer with
     * what only root can see (whether a path exists in a directory the user cannot enter).
     */
    private Path asUser(Credentials as, String name, FsCredentials.Work<Path, Failure> checks) throws Failure {
        if (access.daemonUid() != 0 || as.uid() == 0) return checks.run();
        try {
            return FsCredentials.run(as.uid(), as.gid(), as.groups(), checks);
        } catch (OsException e) {
            throw new Failure(Error.FAILED, name + ": cannot check its working directory and program as uid "
                    + as.uid() + ": " + e.getMessage());
        }
    }

    /** How long an add waits for the command to be executed before it answers with a timeout. */
    private static final java.time.Duration FIRST_SPAWN_TIMEOUT = java.time.Duration.ofSeconds(10);

    /** Back on the loop: supervise it, unless the name was taken or the daemon began to stop meanwhile. */
    private void finishAdd(ControlServer.Client client, Object id, PeerCredentials caller, Request.Add a,
                           Prepared prepared, Failure failed) {
        pending.remove(a.name());
        try {
            if (failed != null) throw failed;
            if (host.stopping()) {
                throw new Failure(Error.SHUTTING_DOWN, a.name() + ": the daemon is shutting down");
            }
            checkFree(a.name());
            host.add(spec(a.name(), prepared.run(), a.restart()));
            byName.put(a.name(), caller.uid());
            say.accept(a.name() + ": added by uid " + caller.uid() + ": " + prepared.run().display());
            // Answered once the first spawn's outcome is known: a command that cannot be executed fails the add
            // with the exec error, where an ok reply said "starting" and the error was only in the daemon's log.
            Service added = host.service(a.name()).orElseThrow();
            if (!ServiceWaits.isUp(added)) {
                // The connection stays held until the waiter answers (it resumes it): a client that has sent its
                // request and closed its side (socat) still gets the answer.
                waits.await(client, id, added, "up", ServiceWaits::isUp, true, FIRST_SPAWN_TIMEOUT, 0);
                return;
            }
            client.send(okWith.apply(id, added));
        } catch (Failure f) {
            if (prepared != null) deleteUnlessInUse(a.name(), () -> {});
            client.send(Protocol.error(id, f.error(), f.getMessage()));
        }
        client.resume();
    }

    /** A transient service's spec: its command, restarted as asked, with its supervise/ in its own directory. */
    private DirectorySpec spec(String name, Command run, RestartPolicy.When restart) {
        return new DirectorySpec(name, root.resolve(name), run, Optional.empty(), false, new Readiness.OnStart(),
                StopPolicy.DEFAULT, RestartPolicy.DEFAULT.withWhen(restart), Optional.empty());
    }

    /** Every transient service's name, with the uid that added it: what {@code daemon-reexec} hands over. */
    Map<String, Integer> owners() {
        return Map.copyOf(byName);
    }

    /**
     * After a re-exec: the transient service {@code name} that {@code owner} added is supervised again, its spec
     * made as its add made it, its state as the old daemon handed it over.
     *
     * @throws Failure if the daemon cannot take it up
     */
    void resume(String name, int owner, Command run, RestartPolicy.When restart) throws Failure {
        host.add(spec(name, run, restart));
        byName.put(name, owner);
    }

    /** Who a transient service runs as: the caller, unless root (or the daemon's own user) names someone. */
    private Optional<Credentials> runAs(PeerCredentials caller, Request.Add a) throws Failure {
        if (a.user().isPresent()) {
            try {
                Credentials c = users.resolve(a.user().get());
                if (c.uid() != access.daemonUid() && access.daemonUid() != 0) {
                    throw new Failure(Error.PERMISSION_DENIED, a.name() + ": this daemon runs as uid "
                            + access.daemonUid() + " and cannot start processes as uid " + c.uid());
                }
                return Optional.of(c);
            } catch (IOException | IllegalArgumentException e) {
                throw new Failure(Error.BAD_REQUEST, a.name() + ": " + e.getMessage());
            }
        }
        if (caller.uid() == access.daemonUid()) return Optional.empty();
        return Optional.of(Credentials.of(caller.uid(), caller.gid()));
    }

    /**
     * The file to execute: a path as given, or a bare name looked up in the service's PATH, as its user sees them
     * (this runs as that user: see {@link #asUser}).
     */
    private static Path program(Request.Add a, Map<String, String> env, Path cwd, Credentials as) throws Failure {
        String name = a.program();
        if (name.isEmpty()) throw new Failure(Error.BAD_REQUEST, a.name() + ": empty program name");
        if (name.indexOf('/') >= 0) return cwd.resolve(name);
        for (String dir : env.getOrDefault("PATH", DEFAULT_PATH).split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, name);
            if (executableBy(candidate, as)) return candidate;
        }
        throw new Failure(Error.BAD_REQUEST, a.name() + ": " + name + ": command not found in PATH");
    }

    /**
     * A regular file with the execute bit that applies to the user. Not access(2), which asks for the real uid
     * (root's) rather than the thread's file-system uid. ACLs are not read: at worst the exec fails, as that user.
     */
    private static boolean executableBy(Path file, Credentials as) {
        try {
            Map<String, Object> attributes = Files.readAttributes(file, "unix:mode,uid,gid");
            int mode = (Integer) attributes.get("mode");
            int owner = (Integer) attributes.get("uid");
            int group = (Integer) attributes.get("gid");
            if ((mode & 0170000) != 0100000) return false;
            if (as.uid() == 0) return (mode & 0111) != 0;
            if (owner == as.uid()) return (mode & 0100) != 0;
            if (group == as.gid() || as.groups().contains(group)) return (mode & 0010) != 0;
            return (mode & 0001) != 0;
        } catch (IOException e) {
            return false;
        }
    }

    void remove(ControlServer.Client client, Object id, Request.Remove r) throws Failure {
        Service s = host.service(r.name())
                .orElseThrow(() -> new Failure(Error.UNKNOWN_SERVICE, r.name() + ": no such service"));
        if (!byName.containsKey(s.name())) {
            throw new Failure(Error.FAILED, s.name() + ": not a transient service; it is supervised from "
                    + s.spec().directory() + ": remove that directory to remove it, or stop it");
        }
        access.checkControl(client.peer(), s, "remove");
        host.remove(s.name());
        if (r.await() && host.service(r.name()).isPresent()) {
            waits.await(client, id, s, ServiceWaits.GONE, svc -> false, false, r.timeout(), s.pid());
        } else {
            client.send(Protocol.ok(id));
        }
    }

    /** A service is gone from the supervisor; true if it was a transient one, whose directory goes later. */
    boolean removed(Service service) {
        String name = service.name();
        boolean wasTransient = !name.endsWith("/log") && byName.remove(name) != null;
        if (wasTransient) closing.add(service);
        return wasTransient;
    }

    /**
     * The daemon has written a removed service's last state and closed its files: a transient's directory can go
     * now, unless the name was added again (or another instance of it is still closing). Deleted sooner, the writer
     * could recreate a file in it and leave it behind. {@code whenGone} runs on the loop once the directory is
     * gone, if it was a transient service.
     */
    void filesClosed(Service service, Runnable whenGone) {
        if (!closing.remove(service)) return;
        deleteUnlessInUse(service.name(), whenGone);
    }

    /** Deletes the directory of {@code name} off the loop, then runs {@code then} on the loop. */
    private void deleteUnlessInUse(String name, Runnable then) {
        boolean inUse = byName.containsKey(name) || pending.containsKey(name)
                || closing.stream().anyMatch(other -> other.name().equals(name));
        if (inUse) {
            then.run();
            return;
        }
        Path dir = root.resolve(name);
        // On io, after any add's directory made before: the order of the two is kept.
        io.execute(() -> {
            try {
                deleteTree(dir);
            } finally {
                loop.execute(then);
            }
        });
    }

    private void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            loop.execute(() -> say.accept("cannot remove " + dir + ": " + e.getMessage()));
        }
    }
}
