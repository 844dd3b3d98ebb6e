package vigil.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vigil.daemon.Daemon;
import vigil.log.LogLocation;
import vigil.log.TimestampFormat;

@Command(name = "daemon",
        description = {"Supervise every service directory in each DIR (as runsvdir does), until TERM or INT.",
                "New, removed and renamed entries take effect at once.",
                "Each service's output is logged to LOGDIR/NAME (a logger NAME/log's own to LOGDIR/NAME.log),",
                "Vigil's messages to LOGDIR/vigil: read them with vigil logs NAME."})
final class DaemonCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "directories of service directories")
    List<Path> roots;

    @Option(names = "--log-dir", paramLabel = "LOGDIR",
            description = "where log directories are (default /var/log/vigil as root, else $XDG_STATE_HOME/vigil/log)")
    Path logDir;

    @Option(names = "--log-timestamps", paramLabel = "FORMAT", converter = TimestampConverter.class,
            description = "how log lines are stamped: tai64n, iso (the default, UTC) or none")
    TimestampFormat timestamps = TimestampFormat.ISO;

    @Override
    public Integer call() {
        return Daemon.run(roots, logDir != null ? logDir : LogLocation.defaultRoot(), timestamps, System.err);
    }

    /** tai64n, iso or none. */
    static final class TimestampConverter implements picocli.CommandLine.ITypeConverter<TimestampFormat> {
        @Override
        public TimestampFormat convert(String text) {
            try {
                return TimestampFormat.parse(text);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
