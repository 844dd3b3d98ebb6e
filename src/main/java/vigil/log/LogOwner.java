package vigil.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Who owns the files of a log and so who may read them: a service's output may hold its secrets. Files are 0640
 * (0740 once complete, svlogd's mark), so only their owner and their group read them:
 * <ul>
 *   <li>the log of a root service: root, group {@code adm} where that group exists (Debian's convention for
 *       {@code /var/log}), else root's group;</li>
 *   <li>the log of a service that runs as another user: that user, and group {@code adm} as above, so he reads
 *       his own output and no one else's. He owns the files, not the directory: he can neither rename nor remove
 *       them, nor plant anything in their place.</li>
 * </ul>
 * Only root can give files away; a daemon of another user leaves them his own ({@link #KEEP}).
 *
 * @param uid the owner to give the files, or -1 to leave them as made
 * @param gid the group to give the files, or -1 to leave them as made
 */
public record LogOwner(int uid, int gid) {
    /** Files as this process makes them: its own user and group, the modes still 0640 and 0740. */
    public static final LogOwner KEEP = new LogOwner(-1, -1);

    /** The group that reads every log of root's services, after root, if the system has one by that name. */
    public static final String READERS = "adm";

    /** The owner for a log of a service running as {@code serviceUid}, when the daemon runs as root. */
    public static LogOwner forService(int serviceUid, OptionalInt readers) {
        return new LogOwner(serviceUid, readers.orElse(0));
    }

    /** The gid of group {@code adm} in {@code etcGroup} (the files, not NSS: Vigil may be PID 1), if listed. */
    public static OptionalInt readersGroup(Path etcGroup) {
        try {
            for (String line : Files.readAllLines(etcGroup)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 3 && fields[0].equals(READERS)) {
                    try {
                        return OptionalInt.of(Integer.parseInt(fields[2]));
                    } catch (NumberFormatException e) {
                        return OptionalInt.empty();
                    }
                }
            }
        } catch (IOException e) {
            // No group file: root's group reads the logs.
        }
        return OptionalInt.empty();
    }
}
