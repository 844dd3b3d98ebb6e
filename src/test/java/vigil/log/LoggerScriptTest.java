package vigil.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoggerScriptTest {
    @TempDir
    Path log;

    private Optional<Path> directoryOf(String script) throws Exception {
        Files.writeString(log.resolve("run"), script);
        return LoggerScript.directory(log);
    }

    @Test
    void theLastArgumentOfSvlogdS6LogOrMultilogIsTheDirectoryRelativeToLog() throws Exception {
        assertEquals(Optional.of(log.resolve("main")), directoryOf("#!/bin/sh\nexec svlogd -tt ./main\n"));
        assertEquals(Optional.of(log.resolve("main")), directoryOf("#!/bin/sh\nexec chpst -u log svlogd main 2>&1\n"));
        assertEquals(Optional.of(Path.of("/var/log/web")),
                directoryOf("#!/bin/execlineb -P\ns6-log n20 s1000000 T /var/log/web\n"));
        assertEquals(Optional.of(log.resolve("main")), directoryOf("exec /usr/bin/multilog t s999999 n5 ./main"));
        assertEquals(Optional.of(log.resolve("main")), directoryOf("exec svlogd -t \"./main\" # the log"));
    }

    @Test
    void aDirectoryTheShellComputesOrNoKnownLoggerTellsNothing() throws Exception {
        assertEquals(Optional.empty(), directoryOf("exec svlogd -tt \"$LOGDIR\""));
        assertEquals(Optional.empty(), directoryOf("exec logger -t web"));
        assertEquals(Optional.empty(), directoryOf("# exec svlogd ./main\nexec cat"));
        assertEquals(Optional.empty(), directoryOf("exec multilog t"));
    }

    @Test
    void tai64nStampsArePrintedAsIsoAndOtherLinesAsTheyAre() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var out = new Tai64nDecoding(bytes)) {
            out.write(("@400000006b174a983200ed1c hi\n2026-12-08_00:08:46.82239 tt\nplain\n@short\n@4000")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        long time = Timestamps.parseTai64n("400000006b174a983200ed1c".getBytes(StandardCharsets.US_ASCII), 0);
        byte[] iso = new byte[32];
        String stamp = new String(iso, 0, Timestamps.format(TimestampFormat.ISO, time, iso, 0), StandardCharsets.US_ASCII);
        assertEquals(stamp + "hi\n2026-12-08_00:08:46.82239 tt\nplain\n@short\n@4000", bytes.toString(StandardCharsets.US_ASCII));
    }
}
