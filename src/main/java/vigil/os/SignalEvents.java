package vigil.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * POSIX signals as a readable fd, for an epoll loop.
 *
 * <p>Each watched signal is heard both ways. A signal that some thread does not block is delivered to a thread,
 * and the JVM's threads each keep their own mask, so it reaches a {@code sun.misc.Signal} handler: HotSpot's native
 * handler only posts the number to its "Signal Dispatcher" thread, which starts a new thread per signal to run the
 * Java handler; that handler sets the signal's bit and writes an eventfd ({@link #fd()}). A signal that every
 * thread blocks stays pending for the process, and a signalfd reads it ({@link #signalFd()}), which costs no
 * thread: the launcher starts Vigil's JVM with SIGCHLD blocked (a mask survives execve and every thread inherits
 * it), because through the handler each child's death woke the process's first thread, the dispatcher thread and a
 * new thread, on the two cores a restart needs. A signal is delivered or left pending, never both, so it is heard
 * once. Signals arriving before {@link #take()} coalesce, so receivers must re-check the state a signal announces
 * (e.g. reap every child on SIGCHLD).
 *
 * <p>HotSpot refuses QUIT (its thread dump), ILL, FPE, SEGV, KILL and STOP, and with -Xrs also HUP, INT and TERM:
 * {@link #watch} throws IllegalArgumentException for those. A signal inherited as ignored (nohup, or INT and QUIT
 * for a background job of a non-interactive shell) is reset to its default first, since HotSpot would otherwise
 * silently leave HUP, INT and TERM ignored. Installing a handler for CHLD does not set SA_NOCLDWAIT, so children
 * still become zombies until waited for.
 *
 * <p>Handlers are process-wide: every instance watching a signal hears it, and the handler that was there before
 * comes back when the last instance stops watching. A signal left pending goes to whichever instance reads its
 * signalfd first (the daemon has one).
 */
public final class SignalEvents implements AutoCloseable {
    private static final long DEFAULT_ACTION = 0, IGNORE = 1;
    /** glibc's struct sigaction: handler (8), sa_mask (128), sa_flags (int), sa_restorer (8 at 144). */
    private static final long SIGACTION_SIZE = 152;

    private static final MethodHandle SIGACTION = Native.linkErrno("sigaction", 3);

    /** The installed process-wide handlers, by signal number; guarded by itself. */
    private static final Map<Integer, Hook> HOOKS = new HashMap<>();

    private static final MethodHandle SIGNALFD = Native.linkErrno("signalfd", 3);
    private static final int SFD_NONBLOCK = 0x800, SFD_CLOEXEC = 0x80000;
    /** struct signalfd_siginfo, whose first field is the signal's number. */
    private static final int SIGINFO_SIZE = 128;

    private final EventFd eventFd;
    private final int signalFd;
    /** Bit {@code n - 1} is set while signal n is in the signalfd's mask. */
    private long viaSignalFd;
    private final MemorySegment siginfo = Arena.ofAuto().allocate(SIGINFO_SIZE * 16L, 8);
    private boolean closed;
    /** Bit {@code n - 1} is set when signal n arrived since the last take(). */
    private final AtomicLong pending = new AtomicLong();
    /** Guarded by HOOKS. */
    private final Set<Integer> watched = new HashSet<>();

    private SignalEvents(EventFd eventFd, int signalFd) {
        this.eventFd = eventFd;
        this.signalFd = signalFd;
    }

    /** A source that watches no signal yet. */
    public static SignalEvents create() throws OsException {
        EventFd eventFd = EventFd.create();
        try {
            return new SignalEvents(eventFd, setSignalFd(-1, 0));
        } catch (OsException e) {
            eventFd.close();
            throw e;
        }
    }

    /** Readable when a watched signal arrived through its handler; then call {@link #take()}. */
    public int fd() {
        return eventFd.fd();
    }

    /** Readable when a watched signal that every thread blocks arrived; then call {@link #take()}. */
    public int signalFd() {
        return signalFd;
    }

    /**
     * Starts reporting {@code signal}, installing the process-wide handler if this is its first watcher.
     *
     * @throws IllegalArgumentException if the JVM reserves the signal or it has no name (real-time signals)
     */
    public void watch(int signal) {
        if (signal < 1 || signal > 64) throw new IllegalArgumentException("no such signal: " + signal);
        synchronized (HOOKS) {
            if (watched.contains(signal)) return;
            Hook hook = HOOKS.get(signal);
            if (hook == null) {
                hook = Hook.install(signal);
                HOOKS.put(signal, hook);
            }
            hook.listeners.add(this);
            watched.add(signal);
        }
        changeSignalFd(viaSignalFd | 1L << (signal - 1));
    }

    /** Stops reporting {@code signal}; the previous handler returns once nobody watches it. */
    public void unwatch(int signal) {
        synchronized (HOOKS) {
            if (!watched.remove(signal)) return;
            changeSignalFd(viaSignalFd & ~(1L << (signal - 1)));
            Hook hook = HOOKS.get(signal);
            hook.listeners.remove(this);
            if (hook.listeners.isEmpty()) {
                HOOKS.remove(signal);
                hook.uninstall();
            }
        }
    }

    /**
     * Makes the fd unreadable and returns the signals that arrived since the last call, bit {@code n - 1} for
     * signal n; 0 if none did (a wake-up can precede the bit it announces being taken by an earlier call).
     */
    public long take() throws OsException {
        // Drain first: a handler sets its bit before writing the eventfd, so no bit is left behind unannounced.
        eventFd.drain();
        long arrived = 0;
        for (long n; (n = Fds.read(signalFd, siginfo, siginfo.byteSize())) > 0; ) {
            for (long at = 0; at + SIGINFO_SIZE <= n; at += SIGINFO_SIZE) {
                arrived |= 1L << (siginfo.get(ValueLayout.JAVA_INT, at) - 1);
            }
        }
        return arrived | pending.getAndSet(0);
    }

    private void changeSignalFd(long mask) {
        try {
            setSignalFd(signalFd, mask);
            viaSignalFd = mask;
        } catch (OsException e) {
            throw new IllegalStateException(e);
        }
    }

    /** signalfd(2) with the first 64 signals of {@code mask}: makes one ({@code fd} -1) or changes its mask. */
    private static int setSignalFd(int fd, long mask) throws OsException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(128, 8);
            set.set(ValueLayout.JAVA_LONG, 0, mask);
            MemorySegment slot = Native.errnoSlot();
            int rc = (int) (long) SIGNALFD.invokeExact(slot, (long) fd, set.address(),
                    (long) (SFD_NONBLOCK | SFD_CLOEXEC));
            if (rc < 0) throw new OsException("signalfd", Native.errno(slot));
            return rc;
        } catch (OsException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void deliver(int signal) {
        pending.getAndUpdate(bits -> bits | 1L << (signal - 1));
        try {
            eventFd.signal();
        } catch (OsException e) {
            // Cannot happen while this instance is hooked: close() unhooks before it closes the eventfd.
            throw new IllegalStateException(e);
        }
    }

    /** Stops watching every signal, then closes the fds. Idempotent. */
    @Override
    public void close() {
        synchronized (HOOKS) {
            for (int signal : Set.copyOf(watched)) unwatch(signal);
        }
        eventFd.close();
        if (!closed) Fds.close(signalFd);
        closed = true;
        viaSignalFd = 0;
    }

    /** The one Java handler per signal, fanning out to every watching instance. */
    private static final class Hook implements SignalHandler {
        final Set<SignalEvents> listeners = new CopyOnWriteArraySet<>();
        private final int number;
        private final Signal signal;
        private final boolean wasIgnored;
        private SignalHandler previous;

        private Hook(int number, Signal signal, boolean wasIgnored) {
            this.number = number;
            this.signal = signal;
            this.wasIgnored = wasIgnored;
        }

        static Hook install(int number) {
            Signal signal = new Signal(Signals.name(number).substring("SIG".length()));
            boolean wasIgnored = disposition(number) == IGNORE;
            if (wasIgnored) setDisposition(number, DEFAULT_ACTION);
            Hook hook = new Hook(number, signal, wasIgnored);
            try {
                hook.previous = Signal.handle(signal, hook);
            } catch (IllegalArgumentException e) {
                if (wasIgnored) setDisposition(number, IGNORE);
                throw e;
            }
            return hook;
        }

        void uninstall() {
            Signal.handle(signal, wasIgnored ? SignalHandler.SIG_IGN : previous);
        }

        @Override
        public void handle(Signal ignored) {
            for (SignalEvents events : listeners) events.deliver(number);
        }
    }

    private static final MethodHandle PTHREAD_SIGMASK = Native.link("pthread_sigmask", 3);
    private static final int SIG_BLOCK = 0, SIG_SETMASK = 2;

    /**
     * Keeps {@code signals} from being delivered to the calling thread, so the kernel picks another thread of the
     * process, and returns the thread's mask as it was, for {@link #restoreMask}. The JVM's native handler only
     * hands a signal on to its dispatcher thread, so a thread that waits for events (the loop) gains nothing from
     * running it: it would be interrupted in epoll_wait and, on a service's death, forward SIGCHLD before reaping
     * the child whose death raised it.
     */
    public static long blockInCurrentThread(Iterable<Integer> signals) {
        long mask = 0;
        for (int signal : signals) {
            if (signal < 1 || signal > 64) throw new IllegalArgumentException("no such signal: " + signal);
            mask |= 1L << (signal - 1);
        }
        return setMask(SIG_BLOCK, mask);
    }

    /** Sets the calling thread's mask to exactly {@code mask}; returns it as it was, for {@link #restoreMask}. */
    public static long replaceMask(long mask) {
        return setMask(SIG_SETMASK, mask);
    }

    /** Sets the calling thread's mask back to what {@link #blockInCurrentThread} returned. */
    public static void restoreMask(long previous) {
        setMask(SIG_SETMASK, previous);
    }

    /** pthread_sigmask on the first 64 signals; the rest of the kernel's sigset_t stays zero (none blocked). */
    private static long setMask(int how, long mask) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(128, 8);
            MemorySegment old = arena.allocate(128, 8);
            set.set(ValueLayout.JAVA_LONG, 0, mask);
            int rc = (int) (long) PTHREAD_SIGMASK.invokeExact((long) how, set.address(), old.address());
            if (rc != 0) throw new IllegalStateException(new OsException("pthread_sigmask", rc));
            return old.get(ValueLayout.JAVA_LONG, 0);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static long disposition(int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGACTION_SIZE, 8);
            sigaction(signal, MemorySegment.NULL, old);
            return old.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static void setDisposition(int signal, long handler) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment action = arena.allocate(SIGACTION_SIZE, 8);
            action.set(ValueLayout.JAVA_LONG, 0, handler);
            sigaction(signal, action, MemorySegment.NULL);
        }
    }

    private static void sigaction(int signal, MemorySegment action, MemorySegment old) {
        MemorySegment slot = Native.errnoSlot();
        try {
            int rc = (int) (long) SIGACTION.invokeExact(slot, (long) signal, action.address(), old.address());
            // EINVAL is the only error: a signal number out of range, or KILL/STOP.
            if (rc < 0) throw new IllegalArgumentException(new OsException("sigaction", Native.errno(slot)));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
