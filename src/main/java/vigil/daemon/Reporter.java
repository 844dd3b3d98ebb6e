package vigil.daemon;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import vigil.loop.EventLoop;
import vigil.service.Service;
import vigil.service.ServiceEvent;
import vigil.service.ServiceListener;

/**
 * Vigil's own messages: one line per event on stderr, naming the service and the reason, and the same lines in
 * Vigil's own log once {@link #logTo} gave it one.
 */
public final class Reporter implements ServiceListener {
    private final PrintStream out;
    private EventLoop loop;
    private LoopLog log;
    /** The thread that owns the loop and the log: lines said on another thread are handed to it. */
    private Thread owner;

    public Reporter(PrintStream out) {
        this.out = out;
    }

    /** From now on, also writes every line to {@code log}; called on the loop's owning thread. */
    void logTo(EventLoop loop, LoopLog log) {
        this.loop = loop;
        this.log = log;
        this.owner = Thread.currentThread();
    }

    /** Rotates Vigil's own log now; false if it has none. Loop thread only. */
    boolean rotateLog() {
        if (log == null) return false;
        log.rotate();
        return true;
    }

    /** Ends the log: the lines said after this go to stderr only. */
    void closeLog() {
        if (log != null) log.close();
        log = null;
    }

    /** A line about a service that is not (or no longer) supervised: found, incomplete, invalid, removed. */
    public void say(String service, String message) {
        line("vigil: " + service + ": " + message);
    }

    /** A line about Vigil itself. */
    public void say(String message) {
        line("vigil: " + message);
    }

    /** A line about Vigil's own log, which must not go to that log. */
    void sayOnStderr(String message) {
        out.println("vigil: " + message);
    }

    @Override
    public void stateChanged(Service service) {}

    @Override
    public void event(Service service, ServiceEvent event) {
        say(service.name(), event.describe());
    }

    private void line(String line) {
        out.println(line);
        if (log == null) return;
        MemorySegment bytes = MemorySegment.ofArray((line + "\n").getBytes(StandardCharsets.UTF_8));
        if (Thread.currentThread() == owner) {
            log.append(bytes, bytes.byteSize());
        } else {
            loop.execute(() -> {
                if (log != null) log.append(bytes, bytes.byteSize());
            });
        }
    }
}
