package vigil.control;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.Locale;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.model.Credentials;
import vigil.os.FsCredentials;
import vigil.os.UnixSocket.PeerCredentials;
import vigil.service.Service;

/**
 * Who may do what, by the uid the kernel reports for the caller (SO_PEERCRED), never by anything in a message:
 * <ul>
 *   <li>root, and the uid the daemon runs as, may do anything;
 *   <li>anyone may read status and follow events;
 *   <li>anyone else may control only services that run as their own uid, and add transient services, which then
 *       run as them.
 * </ul>
 */
final class Access {
    private final int daemonUid;

    Access(int daemonUid) {
        this.daemonUid = daemonUid;
    }

    int daemonUid() {
        return daemonUid;
    }

    /** The uid a service's processes run as: its command's, else the daemon's own. */
    int uidOf(Service service) {
        return service.spec().run().user().map(Credentials::uid).orElse(daemonUid);
    }

    boolean isOwner(PeerCredentials caller) {
        return caller.uid() == 0 || caller.uid() == daemonUid;
    }

    void checkControl(PeerCredentials caller, Service service, String verb) throws Failure {
        if (isOwner(caller)) return;
        int uid = uidOf(service);
        if (uid == caller.uid()) return;
        throw new Failure(Error.PERMISSION_DENIED, service.name() + ": permission denied: cannot " + verb
                + " a service that runs as uid " + uid + "; uid " + caller.uid()
                + " may only control services that run as uid " + caller.uid());
    }

    void checkOwner(PeerCredentials caller, String what) throws Failure {
        if (isOwner(caller)) return;
        throw new Failure(Error.PERMISSION_DENIED, "permission denied: only root"
                + (daemonUid == 0 ? "" : " or uid " + daemonUid + " (which runs this daemon)") + " may " + what
                + "; uid " + caller.uid() + " may not");
    }

    /**
     * The service's user must be able to enter {@code dir}. Runs as that user (see {@link FsCredentials}), so the
     * kernel decides, ACLs and all, and the answer tells the caller nothing the user could not learn himself: a
     * path inside a directory he cannot enter gets the same answer whether it exists or not. vigil-exec enters the
     * directory only after it has dropped to the service's uid, so the kernel has the last word anyway; this check
     * is there so that {@code add} refuses with a clear message, rather than the service failing every start.
     */
    static void checkReachable(Path dir, int uid) throws Failure {
        // A lookup of "." inside it needs search permission on it and on every directory above it.
        try {
            Files.readAttributes(dir.resolve("."), BasicFileAttributes.class);
            return;
        } catch (AccessDeniedException e) {
            // Which one: the first, from the top, that this user cannot search.
            Path p = dir.getRoot();
            for (Iterator<Path> names = dir.iterator(); ; p = p.resolve(names.next())) {
                if (!enterable(p)) {
                    throw new Failure(Error.PERMISSION_DENIED, "permission denied: uid " + uid + " cannot enter "
                            + p + ", so a service running as uid " + uid + " cannot work in " + dir);
                }
                if (!names.hasNext()) break;
            }
            throw new Failure(Error.PERMISSION_DENIED, "working directory " + dir + ": permission denied");
        } catch (NoSuchFileException e) {
            throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": no such directory");
        } catch (FileSystemException e) {
            throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": "
                    + (e.getReason() != null ? e.getReason().toLowerCase(Locale.ROOT) : e.getMessage()));
        } catch (IOException e) {
            throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": " + e.getMessage());
        }
    }

    /** False only when the kernel says this user may not search {@code dir} (or a directory above it). */
    private static boolean enterable(Path dir) {
        try {
            Files.readAttributes(dir.resolve("."), BasicFileAttributes.class);
            return true;
        } catch (AccessDeniedException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
