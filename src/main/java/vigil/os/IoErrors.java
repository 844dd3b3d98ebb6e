package vigil.os;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * An I/O error in words. Java's file exceptions for the commonest errors carry the path and no reason: an
 * {@link AccessDeniedException}'s message is just "/nonexistent". Every message that names a path must also say
 * what went wrong with it, so these put back the reason the kernel gave (in strerror's words).
 */
public final class IoErrors {
    private IoErrors() {}

    /** What went wrong, without the path: "Permission denied". */
    public static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> "Permission denied";
            case NoSuchFileException n -> "No such file or directory";
            case FileAlreadyExistsException f -> "File exists";
            case NotDirectoryException n -> "Not a directory";
            case DirectoryNotEmptyException d -> "Directory not empty";
            case NotLinkException n -> "Not a symbolic link";
            case FileSystemLoopException l -> "Too many levels of symbolic links";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    /** The path (and the other path of a two-path operation) with what went wrong: "/nonexistent: Permission denied". */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String other = f.getOtherFile() != null ? " -> " + f.getOtherFile() : "";
            return f.getFile() + other + ": " + reason(e);
        }
        return reason(e);
    }
}
