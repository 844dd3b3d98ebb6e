package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** The normalized downcalls: every argument and result a long. */
class NativeTest {
    @Test
    void anIntArgumentIsReadFromTheLow32BitsAndAnIntResultNarrowed() throws Throwable {
        MethodHandle abs = Native.link("abs", 1);
        assertEquals(7, (int) (long) abs.invokeExact((long) -7));
        // Whatever the upper 32 bits hold, the callee sees the int in the lower 32.
        assertEquals(7, (int) (long) abs.invokeExact(Integer.toUnsignedLong(-7)));
        assertEquals(5, (int) (long) abs.invokeExact(0x7_0000_0005L));
    }

    @Test
    void errnoIsCapturedWithTheCall() throws Throwable {
        MethodHandle close = Native.linkErrno("close", 1);
        MemorySegment slot = Native.errnoSlot();
        assertEquals(-1, (int) (long) close.invokeExact(slot, (long) -1));
        assertEquals(Errno.EBADF, Native.errno(slot));
    }

    @Test
    void aPointerResultIsAnAddress() {
        assertEquals("No such file or directory", Errno.describe(Errno.ENOENT));
    }

    @Test
    void onlyLiveNativeSegmentsArePassedAsPointers() {
        assertThrows(IllegalArgumentException.class, () -> Native.address(MemorySegment.ofArray(new byte[16])));
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment live = arena.allocate(16);
            assertEquals(live.address(), Native.address(live));
            closed = live;
        }
        assertThrows(IllegalStateException.class, () -> Native.address(closed));
    }
}
