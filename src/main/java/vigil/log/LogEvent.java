package vigil.log;

/**
 * Something a log writer wants a human to know. The writer never throws from its hot path: it reports through
 * these, and the caller prints {@code "vigil: NAME: log: " + describe()}.
 */
public sealed interface LogEvent {
    /** The human line, without the "vigil: NAME: log: " prefix. */
    String describe();

    /**
     * Writing {@code current} failed ({@code reason} is "disk full" for ENOSPC); lines are kept in memory, newest
     * first, and retried at {@link LogWriter#nextDeadline()}.
     */
    record WriteFailing(String reason) implements LogEvent {
        public String describe() {
            return "cannot write current: " + reason + "; keeping the newest lines in memory";
        }
    }

    /** {@code bytes} of the oldest unwritten lines were thrown away to make room for newer ones. */
    record Dropped(String reason, long bytes) implements LogEvent {
        public String describe() {
            return reason + ", dropped " + bytes + " bytes";
        }
    }

    /** Writing works again; {@code droppedBytes} were dropped since the last {@link Dropped} report. */
    record WritingAgain(long droppedBytes) implements LogEvent {
        public String describe() {
            return "writing again" + (droppedBytes == 0 ? "" : ", after dropping " + droppedBytes + " more bytes");
        }
    }

    /** The disk was full, so the oldest rotated file was deleted (never below the config's {@code N}). */
    record RemovedForSpace(String file) implements LogEvent {
        public String describe() {
            return "disk full, removed " + file;
        }
    }

    /** {@code current} could not be rotated; lines keep going to it. */
    record RotationFailed(String reason) implements LogEvent {
        public String describe() {
            return "cannot rotate current: " + reason;
        }
    }

    /** A rotated file could not be deleted. */
    record CannotRemove(String file, String reason) implements LogEvent {
        public String describe() {
            return "cannot remove " + file + ": " + reason;
        }
    }

    /** At open, {@code current} had not been closed cleanly (no owner-execute bit), so it was kept as {@code file}. */
    record UnfinishedSaved(String file) implements LogEvent {
        public String describe() {
            return "current was not closed cleanly; kept as " + file;
        }
    }

    /** A {@code config} line Vigil does not apply. */
    record ConfigIgnored(String line, String reason) implements LogEvent {
        public String describe() {
            return "config: ignoring '" + line + "': " + reason;
        }
    }
}
