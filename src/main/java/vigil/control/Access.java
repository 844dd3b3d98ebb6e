package vigil.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import vigil.control.Protocol.Error;
import vigil.control.Protocol.Failure;
import vigil.model.Credentials;
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
     * The caller must be able to reach {@code dir} itself. vigil-exec enters the directory only after it has
     * dropped to the service's uid, so the kernel has the last word; this check is there so that {@code add}
     * refuses with a clear message, rather than the service failing every start with exit 111. Checks search
     * permission on every component of the real path by owner, group and other bits (ACLs are not read, so this
     * may refuse what an ACL would allow, never the other way round).
     */
    static void checkReachable(Path dir, Credentials as) throws Failure {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": " + describe(e));
        }
        if (!Files.isDirectory(real)) {
            throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": not a directory");
        }
        if (as.uid() == 0) return;
        for (Path p = real; p != null; p = p.getParent()) {
            try {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                int group = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
                boolean searchable = owner == as.uid() ? (mode & 0100) != 0
                        : as.groups().contains(group) || group == as.gid() ? (mode & 0010) != 0
                        : (mode & 0001) != 0;
                if (!searchable) {
                    throw new Failure(Error.PERMISSION_DENIED, "permission denied: uid " + as.uid()
                            + " cannot enter " + p + ", so a service running as uid " + as.uid()
                            + " cannot work in " + dir);
                }
            } catch (IOException e) {
                throw new Failure(Error.BAD_REQUEST, "working directory " + dir + ": " + describe(e));
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "no such directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        return e.getMessage();
    }
}
