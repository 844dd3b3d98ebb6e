package vigil.scan;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import vigil.loop.EventLoop;
import vigil.loop.Failures;
import vigil.os.Epoll;
import vigil.os.Inotify;
import vigil.os.OsException;

/**
 * One inotify instance for the whole daemon, shared by every directory watched: the scanned roots and the
 * service directories still waiting for a complete {@code run}. Several subscribers may watch one directory
 * (inotify gives them one watch descriptor); the kernel watch goes when the last of them cancels.
 */
public final class DirectoryWatcher implements AutoCloseable {
    private final Inotify inotify;
    private final EventLoop.Registration registration;
    private final Map<Integer, List<Subscription>> byDescriptor = new HashMap<>();

    /** A subscriber's hold on a directory; cancel it to stop hearing about the directory. */
    public interface Watch {
        void cancel();
    }

    private final class Subscription implements Watch {
        final int descriptor;
        final Consumer<List<Inotify.Event>> handler;

        Subscription(int descriptor, Consumer<List<Inotify.Event>> handler) {
            this.descriptor = descriptor;
            this.handler = handler;
        }

        @Override
        public void cancel() {
            List<Subscription> subs = byDescriptor.get(descriptor);
            if (subs == null || !subs.remove(this)) return;
            if (subs.isEmpty()) {
                byDescriptor.remove(descriptor);
                try {
                    inotify.removeWatch(descriptor);
                } catch (OsException e) {
                    // EINVAL: the kernel already dropped it (the directory was deleted); nothing left to remove.
                }
            }
        }
    }

    public DirectoryWatcher(EventLoop loop) throws OsException {
        this.inotify = Inotify.create();
        this.registration = loop.watch(inotify.fd(), Epoll.EPOLLIN, events -> dispatch());
    }

    /**
     * Calls {@code handler} with each batch of events for {@code dir}. After a queue overflow every handler gets
     * an event with {@link Inotify#IN_Q_OVERFLOW} and should rescan.
     */
    public Watch watch(Path dir, int mask, Consumer<List<Inotify.Event>> handler) throws OsException {
        int descriptor = inotify.addWatch(dir, mask | Inotify.IN_MASK_ADD);
        Subscription sub = new Subscription(descriptor, handler);
        byDescriptor.computeIfAbsent(descriptor, d -> new ArrayList<>()).add(sub);
        return sub;
    }

    private void dispatch() throws OsException {
        Map<Integer, List<Inotify.Event>> batches = new LinkedHashMap<>();
        List<Integer> gone = new ArrayList<>();
        boolean overflow = false;
        for (Inotify.Event event : inotify.readEvents()) {
            if ((event.mask() & Inotify.IN_Q_OVERFLOW) != 0) {
                overflow = true;
                continue;
            }
            batches.computeIfAbsent(event.wd(), d -> new ArrayList<>()).add(event);
            // The kernel dropped this watch (directory deleted or unmounted): it reuses the number later.
            if ((event.mask() & Inotify.IN_IGNORED) != 0) gone.add(event.wd());
        }
        // The events are read: a subscriber that fails (a bug) must cost only its own, not the other directories'
        // in this read, which would never come again. The first failure goes to the loop once all were told.
        Failures failures = new Failures();
        if (overflow) {
            List<Inotify.Event> rescan = List.of(new Inotify.Event(-1, Inotify.IN_Q_OVERFLOW, 0, ""));
            for (List<Subscription> subs : List.copyOf(byDescriptor.values())) {
                for (Subscription sub : List.copyOf(subs)) failures.attempt(() -> sub.handler.accept(rescan));
            }
        }
        for (Map.Entry<Integer, List<Inotify.Event>> batch : batches.entrySet()) {
            List<Subscription> subs = byDescriptor.get(batch.getKey());
            if (subs == null) continue;
            for (Subscription sub : List.copyOf(subs)) failures.attempt(() -> sub.handler.accept(batch.getValue()));
        }
        for (int descriptor : gone) byDescriptor.remove(descriptor);
        failures.throwIfAny();
    }

    @Override
    public void close() {
        registration.cancel();
        inotify.close();
        byDescriptor.clear();
    }
}
