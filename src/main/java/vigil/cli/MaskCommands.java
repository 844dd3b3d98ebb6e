package vigil.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import vigil.control.ControlClient;

/**
 * mask and unmask, as systemd does them: a symlink to /dev/null named as the unit, in the first (the writable, the
 * operator's) unit directory, which hides every file of that name further down the search path.
 */
final class MaskCommands {
    private MaskCommands() {}

    static final Path DEV_NULL = Path.of("/dev/null");

    static boolean isMask(Path link) {
        try {
            return Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(DEV_NULL);
        } catch (IOException e) {
            return false;
        }
    }

    /** What both share: the writable directory, the daemon-reload afterwards. */
    abstract static class MaskCommand extends UnitFileCommand {
        @Override
        final int onFiles(List<Path> directories) {
            Path writable = directories.getFirst();
            int exit = OK;
            for (String name : names) {
                String unit = name.contains(".") ? name : name + ".service";
                try {
                    change(writable.resolve(unit));
                } catch (IOException e) {
                    err.println("vigil: cannot " + verb() + " " + unit + ": " + e.getMessage());
                    exit = FAILURE;
                }
            }
            return exit;
        }

        abstract String verb();

        abstract void change(Path link) throws IOException;

        @Override
        int afterwards(ControlClient client) throws IOException, Failed {
            daemonReload(client);
            return OK;
        }
    }

    @Command(name = "mask", description = {"Make the units impossible to start: a symlink to /dev/null of each "
            + "unit's name in the first unit directory, as systemctl mask. The daemon reads its unit files again.",
            "Refused if a real unit file of that name is there."})
    static final class Mask extends MaskCommand {
        @Override
        String verb() {
            return "mask";
        }

        @Override
        void change(Path link) throws IOException {
            if (isMask(link)) return;
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("the unit file " + link + " is there; a mask would hide it for good");
            }
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, DEV_NULL);
            err.println("Created symlink " + link + " \u2192 " + DEV_NULL + ".");
        }
    }

    @Command(name = "unmask", description = "Remove the /dev/null symlinks mask made; the daemon reads its unit "
            + "files again.")
    static final class Unmask extends MaskCommand {
        @Override
        String verb() {
            return "unmask";
        }

        @Override
        void change(Path link) throws IOException {
            if (!isMask(link)) return;
            Files.delete(link);
            err.println("Removed " + link + ".");
        }
    }
}
