package vigil.service;

import java.time.Duration;
import java.util.Locale;
import vigil.os.ExitStatus;
import vigil.os.Signals;

/** Something that happened to a service, worth one line to a human and one event to a subscriber. */
public sealed interface ServiceEvent {
    /** The human line, without the "vigil: NAME: " prefix. */
    String describe();

    record Started(int pid) implements ServiceEvent {
        public String describe() {
            return "started (pid " + pid + ")";
        }
    }

    record Ready() implements ServiceEvent {
        public String describe() {
            return "ready";
        }
    }

    /** {@code run} ended; {@code then} says what Vigil does next. */
    record Exited(ExitStatus status, Duration ran, Next then) implements ServiceEvent {
        public String describe() {
            return status.describe() + " after " + seconds(ran) + "; " + then.describe();
        }
    }

    /** {@code finish} ended; {@code then} says what Vigil does next. */
    record Finished(ExitStatus status, Next then) implements ServiceEvent {
        public String describe() {
            String how = status.exited() && status.code() == 125 ? "exited 125 (stay down)" : status.describe();
            return "finish " + how + "; " + then.describe();
        }
    }

    record Signalled(int signal, String why) implements ServiceEvent {
        public String describe() {
            return "sent " + Signals.name(signal) + (why.isEmpty() ? "" : " (" + why + ")");
        }
    }

    /**
     * The kernel refused a signal to one of the service's processes (EPERM: it took a uid this Vigil may not
     * signal). What was under way goes on: a stop waits for the process to exit on its own, or for timeout-kill.
     */
    record SignalRefused(int signal, int pid, String reason) implements ServiceEvent {
        public String describe() {
            return "cannot send " + Signals.name(signal) + " to pid " + pid + ": " + reason;
        }
    }

    /** execve in the child failed: the run file is missing, not executable, has a bad interpreter... */
    record ExecFailed(String reason) implements ServiceEvent {
        public String describe() {
            return "cannot start: " + reason;
        }
    }

    /** No process could be made at all (fork or pipe failed); retried after {@code retryIn}. */
    record SpawnFailed(String reason, Duration retryIn) implements ServiceEvent {
        public String describe() {
            return "cannot start: " + reason + "; retrying in " + seconds(retryIn);
        }
    }

    /** What follows an exit. */
    sealed interface Next {
        String describe();

        record Restart(Duration delay) implements Next {
            public String describe() {
                return delay.isZero() ? "restarting" : "restarting in " + seconds(delay);
            }
        }

        record RunFinish() implements Next {
            public String describe() {
                return "running finish";
            }
        }

        /** Down and staying down: wanted down, or finish said 125. */
        record StayDown() implements Next {
            public String describe() {
                return "down";
            }
        }

        /** Down for good: removed or Vigil is exiting. */
        record Exit() implements Next {
            public String describe() {
                return "stopped";
            }
        }
    }

    /** "0.2s", "4s", "1m30s": short and exact enough for a log line. */
    static String seconds(Duration d) {
        long ms = d.toMillis();
        if (ms < 10_000 && ms % 1000 != 0) return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        long s = ms / 1000;
        if (s < 60) return s + "s";
        return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    }
}
