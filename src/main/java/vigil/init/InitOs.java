package vigil.init;

import java.nio.file.Path;
import java.util.List;
import vigil.os.Ending;
import vigil.os.OsException;
import vigil.os.Reaped;

/**
 * What the init's stages ask of the system; {@link LinuxInitOs} for real, a fake with a virtual clock in tests.
 * Everything here runs on the init's one thread, outside the daemon's event loop (before it, or after it ended).
 */
public interface InitOs {
    /** Starts a stage script in "/", with the init's own stdio (the console) and environment; returns its pid. */
    int start(Path script, List<String> argv) throws OsException;

    /** Reaps every child that has exited, without blocking. */
    Reaping reap() throws OsException;

    /** What {@link #reap} collected, and whether any child is still alive. */
    record Reaping(List<Reaped> exited, boolean childrenLeft) {}

    /**
     * Blocks until a child may have exited or one of {@link Ending#SIGNALS} came, at most {@code timeoutNanos}
     * ({@code Long.MAX_VALUE}: no limit, 0: do not block); returns those signals that came, bit {@code n - 1} for
     * signal n.
     */
    long await(long timeoutNanos) throws OsException;

    /** Monotonic nanoseconds. */
    long nanoTime();

    /** kill(-1, signal); false if no other process was left. */
    boolean signalEveryOtherProcess(int signal) throws OsException;

    void sync();

    /** Ends the system; returns only if that failed. */
    void reboot(Ending ending) throws OsException;

    /** The file systems mounted, in mount order (/proc/self/mountinfo). */
    List<MountPoint> mounts() throws OsException;

    void unmount(String path) throws OsException;

    void remountReadOnly(String path) throws OsException;

    /** The swap devices in use (/proc/swaps). */
    List<String> swaps() throws OsException;

    void swapOff(String device) throws OsException;

    /** The loop devices attached to a backing file. */
    List<String> loopDevices() throws OsException;

    void detachLoop(String device) throws OsException;

    /** Whether {@code program} exists and may be executed (an emergency shell, say). */
    boolean executable(Path program);

    /** Whether this is the machine's init, whose exit panics the kernel, rather than a container's. */
    boolean machineInit();

    /** Ends this process: what a container's init does when it may not reboot(2) (no CAP_SYS_BOOT). */
    void exit(int code);
}
