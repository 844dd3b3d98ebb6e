package vigil.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import vigil.model.Credentials;

/**
 * Resolves "who a service runs as" from {@code /etc/passwd} and {@code /etc/group}, read as files: no NSS, so the
 * daemon (perhaps PID 1) never loads modules or waits on a directory server. Users only known to LDAP and the like
 * must be given by number.
 */
public final class Users {
    private final Path passwd;
    private final Path group;

    public Users(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    public static Users system() {
        return new Users(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /**
     * {@code NAME}, {@code UID} or {@code UID:GID}. A name gets its passwd gid and every group that lists it; a
     * number known to passwd likewise; an unknown number runs with gid = uid (or the GID given) and no other group.
     *
     * @throws IllegalArgumentException with a message naming the user, if it cannot be resolved
     */
    public Credentials resolve(String user) throws IOException {
        String uidText = user;
        Optional<Integer> gid = Optional.empty();
        int colon = user.indexOf(':');
        if (colon >= 0) {
            uidText = user.substring(0, colon);
            gid = Optional.of(number(user.substring(colon + 1), user));
        }
        Optional<String[]> entry = Optional.empty();
        if (isNumber(uidText)) {
            int uid = number(uidText, user);
            for (String[] f : entries(passwd, 7)) {
                if (f[2].equals(Integer.toString(uid))) {
                    entry = Optional.of(f);
                    break;
                }
            }
            if (entry.isEmpty()) return Credentials.of(uid, gid.orElse(uid));
        } else {
            for (String[] f : entries(passwd, 7)) {
                if (f[0].equals(uidText)) {
                    entry = Optional.of(f);
                    break;
                }
            }
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("unknown user \"" + uidText + "\" (not in " + passwd + ")");
            }
        }
        String[] f = entry.get();
        int uid = number(f[2], user);
        int primary = gid.orElse(number(f[3], user));
        List<Integer> groups = new ArrayList<>(List.of(primary));
        for (String[] g : entries(group, 4)) {
            if (List.of(g[3].split(",")).contains(f[0]) && isNumber(g[2])) {
                int id = number(g[2], user);
                if (!groups.contains(id)) groups.add(id);
            }
        }
        return new Credentials(uid, primary, groups);
    }

    private static List<String[]> entries(Path file, int fields) throws IOException {
        List<String[]> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split(":", -1);
            if (f.length >= fields) out.add(f);
        }
        return out;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static int number(String s, String user) {
        if (!isNumber(s)) throw new IllegalArgumentException("bad user \"" + user + "\": \"" + s + "\" is no id");
        long n = Long.parseLong(s);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad user \"" + user + "\": " + s + " is too big");
        }
        return (int) n;
    }
}
