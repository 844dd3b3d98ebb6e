package vigil.os;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A directory Vigil would write in belongs to another user. He may swap any name in it, at any moment, for a link
 * to a file of this process's user (root's), so this process writes nothing there.
 *
 * <p>Refused rather than written as that user (setfsuid on the writing thread): the log is written on the event
 * loop and supervise/ on its own thread, and every open, rotation and removal there would have to switch ids, with
 * the user's groups too, and back, on paths where a mistake hands root's rights to him. A refusal is simple to
 * make safe; the user's own {@code vigil daemon} is the way to run services from directories he owns.
 */
public final class ForeignDirectoryException extends IOException {
    private final Path directory;
    private final int owner;

    public ForeignDirectoryException(Path directory, int owner, int us) {
        super(directory + " belongs to uid " + owner + ", so Vigil (uid " + us + ") writes nothing in it: uid "
                + owner + " could swap any file there for a link to a file of uid " + us
                + "; give the directory to uid " + us + ", or run the service from uid " + owner
                + "'s own vigil daemon");
        this.directory = directory;
        this.owner = owner;
    }

    public Path directory() {
        return directory;
    }

    public int owner() {
        return owner;
    }
}
