package vigil.loop;

import java.nio.file.Path;
import java.time.Duration;
import vigil.os.Epoll;
import vigil.os.Inotify;
import vigil.os.Signals;

/**
 * Not a test: a process that sets the loop up as the daemon would and then idles, so that its context switches can
 * be counted from outside (see docs/idle-wakeups.md). Stops on SIGTERM.
 */
public final class IdleProbe {
    private IdleProbe() {}

    public static void main(String[] args) throws Exception {
        Thread.currentThread().setName("vigil-loop");
        try (EventLoop loop = EventLoop.create(); Inotify inotify = Inotify.create()) {
            inotify.addWatch(Path.of(args.length > 0 ? args[0] : "/tmp"), Inotify.IN_CREATE | Inotify.IN_DELETE);
            loop.watch(inotify.fd(), Epoll.EPOLLIN, events -> inotify.readEvents());
            for (int signal : new int[] {Signals.SIGHUP, Signals.SIGINT, Signals.SIGCHLD, Signals.SIGCONT,
                    Signals.SIGPWR}) {
                loop.onSignal(signal, () -> System.out.println("got " + Signals.name(signal)));
            }
            loop.onSignal(Signals.SIGTERM, loop::stop);
            loop.schedule(Duration.ofHours(1), () -> System.out.println("an hour passed"));
            System.out.println("idle " + ProcessHandle.current().pid());
            loop.run();
        }
    }
}
