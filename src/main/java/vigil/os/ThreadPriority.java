package vigil.os;

import java.lang.invoke.MethodHandle;

/** The nice value of one thread: Linux schedules threads on their own, and setpriority takes a thread id. */
public final class ThreadPriority {
    private ThreadPriority() {}

    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SETPRIORITY = Native.linkErrno("setpriority", 3);
    private static final MethodHandle GETTID = Native.link("gettid", 0);

    /**
     * Makes the calling thread yield the CPU to the rest of the process and to its children when they compete for
     * it, by setting its nice value (0..19). Best effort: a thread that cannot be reniced keeps its priority.
     */
    public static void lowerCurrentThread(int nice) {
        try {
            int tid = (int) (long) GETTID.invokeExact();
            long ignored = (long) SETPRIORITY.invokeExact(Native.errnoSlot(), (long) PRIO_PROCESS, (long) tid,
                    (long) nice);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
