package vigil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Help for every command, the help command, and the options every command shares before the subcommand. */
class HelpTest {
    @TempDir
    Path dir;

    @Test
    void everySubcommandTakesDashHAndDashDashHelp() {
        for (String command : RootCommand.commandNames()) {
            if (command.equals("help")) continue;
            for (String flag : new String[] {"-h", "--help"}) {
                CliRun r = CliRun.of(command, flag);
                assertEquals(0, r.status(), command + " " + flag + ": " + r.err());
                assertTrue(r.out().contains("Usage: vigil " + command), command + " " + flag + ": " + r.out());
            }
        }
    }

    @Test
    void theHelpCommandShowsACommandsHelp() {
        CliRun all = CliRun.of("help");
        assertEquals(0, all.status(), all.err());
        assertTrue(all.out().contains("Usage: vigil"), all.out());
        assertTrue(all.out().contains("status"), all.out());
        CliRun status = CliRun.of("help", "status");
        assertEquals(0, status.status(), status.err());
        assertTrue(status.out().contains("Usage: vigil status"), status.out());
    }

    @Test
    void theControlOptionWorksBeforeTheSubcommand() {
        // No daemon listens there: the command reached the client code with that socket, and says so.
        Path socket = dir.resolve("nothing-here");
        CliRun r = CliRun.of("--control", socket.toString(), "status");
        assertEquals(ClientCommand.NOT_RUNNING, r.status(), r.err());
        assertTrue(r.err().contains("no daemon is listening on " + socket), r.err());
        CliRun logs = CliRun.of("--control=" + socket, "is-active", "x.service");
        assertTrue(logs.err().contains(socket.toString()), logs.err());
    }
}
