package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.log.LogOptions;
import vigil.loop.EventLoop;
import vigil.model.Command;
import vigil.os.Children;
import vigil.os.Errno;
import vigil.os.ExitStatus;
import vigil.os.OsException;
import vigil.os.Rlimits;
import vigil.os.Signals;
import vigil.os.Spawner;
import vigil.service.ProcessObserver;
import vigil.service.ProcessRequest;
import vigil.service.ProcessRequest.Stdio;
import vigil.service.RunningProcess;
import vigil.service.SpawnException;
import vigil.service.UnitSnapshot;
import vigil.testing.Await;
import vigil.testing.Procs;

/**
 * The real {@link LinuxProcesses}, driven by hand on the test thread: the loop never runs, so a child is reaped
 * only when the test calls {@link LinuxProcesses#reapAll}, as SIGCHLD's sweep would.
 */
class LinuxProcessesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** One past the last signal (_NSIG is 64): the kernel refuses it with EINVAL, as root too. */
    private static final int NO_SUCH_SIGNAL = 65;

    @TempDir
    Path tmp;
    private EventLoop loop;
    private Spawner spawner;
    private LinuxProcesses processes;
    private final List<Integer> pids = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        loop = EventLoop.create();
        spawner = Spawner.start();
        Reporter reporter = new Reporter(new PrintStream(OutputStream.nullOutputStream()));
        ServiceLogs logs = new ServiceLogs(loop, spawner, tmp.resolve("log"), LogOptions.DEFAULT, reporter, 4);
        Path notify = tmp.resolve("notify");
        processes = new LinuxProcesses(loop, spawner, Rlimits.openFiles(), notify,
                new UnitNotifySockets(loop, notify, reporter), logs);
    }

    @AfterEach
    void cleanUp() throws OsException {
        for (int pid : pids) {
            try {
                // Killed only while still a child of ours: a pid reaped by the test may be someone else's now.
                if (Children.waitPid(pid, false).isPresent()) continue;
                Children.sendSignal(pid, Signals.SIGKILL);
                Children.waitPid(pid, true);
            } catch (OsException e) {
                if (e.errno() != Errno.ECHILD) throw e;
            }
        }
        spawner.close();
        loop.close();
    }

    private RunningProcess start(ProcessObserver observer, String... argv) throws Exception {
        Command command = new Command(Path.of(argv[0]), List.of(argv), tmp, Map.of("PATH", "/usr/bin:/bin"));
        RunningProcess process = processes.start(ProcessRequest.of(command).withStdin(new Stdio.Null())
                .withStdout(new Stdio.Null()).withStderr(new Stdio.Null()), observer);
        pids.add(process.pid());
        return process;
    }

    private static void awaitZombie(RunningProcess process) {
        Await.until("pid " + process.pid() + " exited", TIMEOUT, () -> Procs.zombie(process.pid()));
    }

    @Test
    void aRefusedSignalIsReturnedAndAGoneProcessIsNoFailure() throws Exception {
        Observer observer = new Observer(false);
        RunningProcess sleeper = start(observer, "/bin/sleep", "60");

        assertEquals(Optional.of(Errno.describe(Errno.EINVAL)), sleeper.signal(NO_SUCH_SIGNAL));
        assertEquals(Optional.empty(), sleeper.signal(Signals.SIGKILL));
        awaitZombie(sleeper);
        assertEquals(Optional.empty(), sleeper.signal(Signals.SIGTERM), "dead, not reaped yet");
        processes.reapAll();
        assertEquals(List.of(ExitStatus.killed(Signals.SIGKILL)), observer.exits);
        assertEquals(Optional.empty(), sleeper.signal(Signals.SIGTERM), "reaped");
    }

    @Test
    void anObserverThatThrowsKeepsNoOtherChildFromBeingReapedAndTold() throws Exception {
        Observer first = new Observer(true);
        Observer second = new Observer(true);
        RunningProcess a = start(first, "/bin/true");
        RunningProcess b = start(second, "/bin/true");
        first.pid = a.pid();
        second.pid = b.pid();
        awaitZombie(a);
        awaitZombie(b);

        IllegalStateException failure = assertThrows(IllegalStateException.class, processes::reapAll);
        assertEquals(List.of(ExitStatus.exited(0)), first.exits);
        assertEquals(List.of(ExitStatus.exited(0)), second.exits);
        Set<String> reported = Stream.concat(Stream.of(failure), Stream.of(failure.getSuppressed()))
                .map(Throwable::getMessage).collect(Collectors.toSet());
        assertEquals(Set.of("observer of " + a.pid(), "observer of " + b.pid()), reported,
                "the first failure is thrown, the other added to it");
        assertFalse(Procs.exists(a.pid()) || Procs.exists(b.pid()), "both were reaped");
    }

    @Test
    void adoptTakesADescendantOfTheUnitAndAnOutsiderOnlyOnRootsWord() throws Exception {
        Path pidFile = tmp.resolve("grandchild.pid");
        RunningProcess unit = start(new Observer(false), "/bin/sh", "-c", "sleep 61 & echo $! > " + pidFile + "; wait");
        int grandchild = Await.value("the grandchild's pid", TIMEOUT, () -> {
            try {
                String text = Files.readString(pidFile).strip();
                return text.isEmpty() ? null : Integer.valueOf(text);
            } catch (IOException e) {
                return null;
            }
        });
        Process outsider = new ProcessBuilder("sleep", "62").start();
        try {
            assertEquals(grandchild, processes.adopt(grandchild, List.of(unit), Optional.empty(), false, new Observer(false)).pid());
            SpawnException refused = assertThrows(SpawnException.class,
                    () -> processes.adopt((int) outsider.pid(), List.of(unit), Optional.empty(), false, new Observer(false)));
            assertEquals(Errno.EPERM, refused.errno());
            assertEquals("pid " + outsider.pid() + " is not one of the unit's processes, nor descends from one",
                    refused.getMessage());
            assertEquals(outsider.pid(),
                    processes.adopt((int) outsider.pid(), List.of(unit), Optional.empty(), true, new Observer(false)).pid());
            for (int never : List.of((int) ProcessHandle.current().pid(), 1)) {
                assertEquals(Errno.EPERM, assertThrows(SpawnException.class,
                        () -> processes.adopt(never, List.of(unit), Optional.empty(), true, new Observer(false))).errno());
            }
        } finally {
            outsider.destroyForcibly();
            ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aReexecRetakesAMainProcessOnlyIfItStartedWhenRecorded() throws Exception {
        Path pidFile = tmp.resolve("grandchild.pid");
        start(new Observer(false), "/bin/sh", "-c", "sleep 63 & echo $! > " + pidFile + "; wait");
        int grandchild = Await.value("the grandchild's pid", TIMEOUT, () -> {
            try {
                String text = Files.readString(pidFile).strip();
                return text.isEmpty() ? null : Integer.valueOf(text);
            } catch (IOException e) {
                return null;
            }
        });
        try {
            long started = Procs.startTime(grandchild);
            // The pid now names a process that started later than the recorded one: never taken.
            SpawnException recycled = assertThrows(SpawnException.class, () -> processes.retake(
                    new UnitSnapshot.Main(grandchild, started - 1), new Stdio.Null(), new Observer(false)));
            assertEquals(Errno.ESRCH, recycled.errno());
            assertEquals("pid " + grandchild + " is another process now (it started later)", recycled.getMessage());

            RunningProcess taken = processes.retake(new UnitSnapshot.Main(grandchild, started), new Stdio.Null(),
                    new Observer(false));
            assertEquals(grandchild, taken.pid());
            assertEquals(OptionalLong.of(started), processes.startTicks(taken));
            assertEquals(Optional.empty(), taken.signal(Signals.SIGKILL), "signalled through its new pidfd");
            Await.until("the taken process killed", TIMEOUT, () -> !Procs.running(grandchild));
        } finally {
            ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** Records the exits it hears of; one that throws stands for an observer with a bug. */
    private static final class Observer implements ProcessObserver {
        final boolean throwing;
        final List<ExitStatus> exits = new ArrayList<>();
        int pid;

        Observer(boolean throwing) {
            this.throwing = throwing;
        }

        @Override
        public void execFailed(int errno, String reason) {}

        @Override
        public void exited(ExitStatus status) {
            exits.add(status);
            if (throwing) throw new IllegalStateException("observer of " + pid);
        }
    }
}
