package vigil.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import vigil.loop.EventLoop;
import vigil.os.Epoll;
import vigil.os.EventFd;
import vigil.os.Fds;
import vigil.os.Inotify;
import vigil.os.OsException;
import vigil.resources.ResourceControl.OomEvents;

/**
 * Watches the memory cgroups of running services for OOM kills, so that one of any process of a service (not only
 * its main process, whose death is looked at anyway) is acted on while the service runs, as systemd's
 * {@code OOMPolicy=} asks. No polling: the kernel announces each OOM event, through inotify on v2's
 * {@code memory.events} (one instance for all), or an eventfd registered on v1's {@code memory.oom_control}.
 *
 * <p>v1 signals when the cgroup goes under OOM, a moment before its victim is killed and counted; a look that
 * finds the count unchanged is repeated a few times within a second, then left until the next event.
 */
final class OomWatch {
    /** After an event that changed no count, when to look again: the kill follows the event within microseconds. */
    private static final List<Duration> LOOK_AGAIN = List.of(Duration.ofMillis(10), Duration.ofMillis(100),
            Duration.ofSeconds(1));

    /** Hears a service's OOM kill count once it has grown (the count since its cgroup was made). */
    interface Listener {
        void oomKills(String service, long count);
    }

    private final EventLoop loop;
    private final Reporter reporter;
    private final Listener listener;
    private final Map<String, Watched> byService = new HashMap<>();
    private final Map<Integer, Watched> byInotifyWatch = new HashMap<>();
    private Inotify inotify;
    private EventLoop.Registration inotifyRegistration;

    OomWatch(EventLoop loop, Reporter reporter, Listener listener) {
        this.loop = loop;
        this.reporter = reporter;
        this.listener = listener;
    }

    /** One service's watch: v2's inotify watch, or v1's eventfd and the open memory.oom_control it is tied to. */
    private final class Watched {
        final String service;
        final LongSupplier count;
        long reported;
        int inotifyWatch = -1;
        EventFd eventFd;
        int oomControl = -1;
        EventLoop.Registration registration;
        EventLoop.Timer again;

        Watched(String service, LongSupplier count) {
            this.service = service;
            this.count = count;
            this.reported = count.getAsLong();
        }

        /** An OOM event (or something else the file announces): a grown count goes to the listener. */
        void look(int attempt) {
            if (byService.get(service) != this) return;
            long now = count.getAsLong();
            if (now > reported) {
                reported = now;
                if (again != null) again.cancel();
                again = null;
                listener.oomKills(service, now);
            } else if (attempt < LOOK_AGAIN.size() && again == null) {
                again = loop.schedule(LOOK_AGAIN.get(attempt), () -> {
                    again = null;
                    look(attempt + 1);
                });
            }
        }

        void close() {
            if (again != null) again.cancel();
            if (registration != null) registration.cancel();
            if (eventFd != null) eventFd.close(); // its HUP ends the kernel's registration too
            if (oomControl >= 0) Fds.close(oomControl);
            if (inotifyWatch >= 0) {
                byInotifyWatch.remove(inotifyWatch);
                try {
                    inotify.removeWatch(inotifyWatch);
                } catch (OsException e) {
                    // Gone with its cgroup already.
                }
            }
        }
    }

    /**
     * Watches {@code service}'s memory cgroup as {@code events} says, from its count now on; nothing if it is
     * watched already. A watch that cannot be set up is said, and the OOM kill is then seen only at the main
     * process's death, as before.
     */
    void watch(String service, Optional<OomEvents> events, LongSupplier count) {
        if (events.isEmpty() || byService.containsKey(service)) return;
        Watched w = new Watched(service, count);
        try {
            if (events.get().v2()) watchV2(w, events.get().file());
            else watchV1(w, events.get().file());
            byService.put(service, w);
        } catch (IOException e) {
            w.close();
            reporter.say(service + ": cannot watch " + events.get().file() + " for OOM kills (" + e.getMessage()
                    + "); one is seen only when the main process dies");
        }
    }

    private void watchV2(Watched w, Path memoryEvents) throws OsException {
        if (inotify == null) {
            inotify = Inotify.create();
            inotifyRegistration = loop.watch(inotify.fd(), Epoll.EPOLLIN, events -> dispatch());
        }
        w.inotifyWatch = inotify.addWatch(memoryEvents, Inotify.IN_MODIFY);
        byInotifyWatch.put(w.inotifyWatch, w);
    }

    private void watchV1(Watched w, Path oomControl) throws IOException {
        w.eventFd = EventFd.create();
        w.oomControl = Fds.open(oomControl, Fds.O_RDONLY, 0);
        // The kernel's v1 notification API: "<eventfd> <fd of memory.oom_control>" into cgroup.event_control.
        Files.writeString(oomControl.resolveSibling("cgroup.event_control"), w.eventFd.fd() + " " + w.oomControl);
        w.registration = loop.watch(w.eventFd.fd(), Epoll.EPOLLIN, events -> {
            w.eventFd.drain();
            w.look(0);
        });
    }

    private void dispatch() throws OsException {
        List<Inotify.Event> events = inotify.readEvents();
        if (events.stream().anyMatch(e -> e.is(Inotify.IN_Q_OVERFLOW))) {
            List.copyOf(byService.values()).forEach(w -> w.look(0));
            return;
        }
        for (Inotify.Event event : events) {
            Watched w = byInotifyWatch.get(event.wd());
            if (w != null && event.is(Inotify.IN_MODIFY)) w.look(0);
            if (event.is(Inotify.IN_IGNORED)) byInotifyWatch.remove(event.wd());
        }
    }

    /** The service is down: its watch goes (before its cgroup, whose removal v1 would announce too). */
    void unwatch(String service) {
        Watched w = byService.remove(service);
        if (w != null) w.close();
    }
}
