/**
 * Vigil's built-in logger and the reader behind {@code vigil logs}.
 *
 * <p>A log directory has svlogd's layout, so runit's, daemontools' and s6's tools read it and Vigil reads theirs:
 * {@code lock} (flock), {@code current} (0644 while written, 0744 once complete), rotated files named {@code @},
 * 24 hex digits of TAI64N and {@code .s} (or {@code .u} for a {@code current} found unfinished), and an optional
 * {@code config} ({@link vigil.log.LogConfig}).
 *
 * <p>Writing: {@link vigil.log.LogWriter}, one per service, driven by the event loop. Lines are stamped as
 * {@link vigil.log.TimestampFormat} says; longer than {@link vigil.log.LogOptions#lineMax()} they are split, each
 * further piece marked with {@link vigil.log.LogWriter#CONTINUATION}. Problems are {@link vigil.log.LogEvent}s.
 *
 * <p>Reading: {@link vigil.log.LogReader} prints a selection ({@link vigil.log.LogQuery}: last lines, since a
 * time); {@link vigil.log.LogFollower} then follows through rotations, woken by inotify.
 */
package vigil.log;
