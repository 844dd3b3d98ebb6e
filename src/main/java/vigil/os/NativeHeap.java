package vigil.os;

import java.lang.invoke.MethodHandle;

/**
 * glibc's malloc keeps memory that was freed: after a burst of work (1000 services scanned and started) the loop
 * thread's arena holds ~20 MB of free chunks between live ones. {@link #trim} gives it back to the kernel.
 */
public final class NativeHeap {
    private NativeHeap() {}

    private static final MethodHandle MALLOC_TRIM = Native.link("malloc_trim", 1);

    /** malloc_trim(0): returns every free page of every arena to the kernel. */
    public static void trim() {
        try {
            long ignored = (long) MALLOC_TRIM.invokeExact(0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
