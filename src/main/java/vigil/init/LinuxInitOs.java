package vigil.init;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import vigil.os.Children;
import vigil.os.Ending;
import vigil.os.Epoll;
import vigil.os.Errno;
import vigil.os.ExecFailure;
import vigil.os.ExecSpec;
import vigil.os.Mounts;
import vigil.os.Namespaces;
import vigil.os.OsException;
import vigil.os.Power;
import vigil.os.Reaped;
import vigil.os.SignalEvents;
import vigil.os.Signals;
import vigil.os.Spawn;
import vigil.os.Spawned;

/**
 * The init's system calls. A child's death is heard as SIGCHLD, read from a signalfd (or through the JVM's
 * handler if the signal is not blocked): the init waits for orphans it has no pidfd for. The signals that end the
 * system are watched from the start to the end: otherwise, before the daemon runs and after it stopped, the JVM's
 * own handlers would take TERM, INT and HUP, and end the JVM, which is PID 1.
 */
final class LinuxInitOs implements InitOs, AutoCloseable {
    private final SignalEvents childSignals;
    private final Epoll epoll;

    LinuxInitOs() throws OsException {
        childSignals = SignalEvents.create();
        try {
            epoll = Epoll.create();
            epoll.add(childSignals.fd(), Epoll.EPOLLIN);
            epoll.add(childSignals.signalFd(), Epoll.EPOLLIN);
            childSignals.watch(Signals.SIGCHLD);
            for (int signal : EndingSignals.SIGNALS) childSignals.watch(signal);
        } catch (OsException | RuntimeException e) {
            childSignals.close();
            throw e;
        }
    }

    @Override
    public int start(Path script, List<String> argv) throws OsException {
        Spawned spawned = Spawn.spawn(ExecSpec.builder(script, argv).environment(System.getenv())
                .workingDirectory(Path.of("/")).build());
        Optional<ExecFailure> failure = spawned.awaitExec();
        if (failure.isPresent()) {
            // The helper exits 111 after its report; the caller's reaping collects it.
            throw new OsException(failure.get().step(), script.toString(), failure.get().errno());
        }
        return spawned.pid();
    }

    @Override
    public Reaping reap() throws OsException {
        List<Reaped> exited = new ArrayList<>();
        for (Optional<Reaped> one; (one = Children.waitAny()).isPresent(); ) exited.add(one.get());
        return new Reaping(exited, Children.hasChildren());
    }

    @Override
    public long await(long timeoutNanos) throws OsException {
        long millis = timeoutNanos == Long.MAX_VALUE ? -1
                : timeoutNanos <= 0 ? 0 : Math.max(1, timeoutNanos / 1_000_000);
        epoll.wait((int) Math.min(millis, Integer.MAX_VALUE));
        return childSignals.take() & ~(1L << (Signals.SIGCHLD - 1));
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public boolean signalEveryOtherProcess(int signal) throws OsException {
        return Children.signalEveryOtherProcess(signal);
    }

    @Override
    public void sync() {
        Power.sync();
    }

    @Override
    public void reboot(Ending ending) throws OsException {
        Power.reboot(ending);
    }

    @Override
    public List<MountPoint> mounts() throws OsException {
        return MountPoint.parse(read(Path.of("/proc/self/mountinfo")));
    }

    @Override
    public void unmount(String path) throws OsException {
        Mounts.unmount(path);
    }

    @Override
    public void remountReadOnly(String path) throws OsException {
        Mounts.remountReadOnly(path);
    }

    @Override
    public List<String> swaps() throws OsException {
        Path swaps = Path.of("/proc/swaps");
        if (!Files.exists(swaps)) return List.of();
        // "Filename Type Size Used Priority", then one line per device, its path escaped as in mountinfo.
        return read(swaps).lines().skip(1).filter(line -> !line.isBlank())
                .map(line -> MountPoint.unescape(line.split("\\s+")[0])).toList();
    }

    @Override
    public void swapOff(String device) throws OsException {
        Mounts.swapOff(device);
    }

    @Override
    public List<String> loopDevices() throws OsException {
        List<String> attached = new ArrayList<>();
        // Only an attached loop device has a backing_file.
        try (DirectoryStream<Path> devices = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path device : devices) {
                if (Files.exists(device.resolve("loop/backing_file"))) attached.add("/dev/" + device.getFileName());
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new OsException("read", "/sys/block", Errno.EIO);
        }
        return attached;
    }

    @Override
    public void detachLoop(String device) throws OsException {
        Mounts.detachLoop(device);
    }

    @Override
    public boolean executable(Path program) {
        return Files.isRegularFile(program) && Files.isExecutable(program);
    }

    private static String read(Path file) throws OsException {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new OsException("read", file.toString(), Errno.EIO);
        }
    }

    @Override
    public boolean machineInit() {
        return Namespaces.inInitialPidNamespace();
    }

    @Override
    public void exit(int code) {
        System.exit(code);
    }

    @Override
    public void close() {
        epoll.close();
        childSignals.close();
    }
}
