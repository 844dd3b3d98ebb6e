package vigil.unit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vigil.model.Credentials;

/**
 * Users and groups for {@code User=}, {@code Group=} and {@code SupplementaryGroups=}, read from passwd and group
 * files: no NSS, so the daemon never loads modules or waits on a directory server. Numeric ids need no entry.
 */
public final class Accounts {
    private final Path passwd;
    private final Path group;

    /** A user as a unit runs as it: its ids and groups, home and shell. */
    public record Account(String name, Credentials credentials, Path home, String shell) {}

    public Accounts(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    public static Accounts system() {
        return new Accounts(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /**
     * A user by name or uid, with its passwd gid and every group that lists it. An unknown uid runs with
     * gid = uid, home / and no other group.
     *
     * @throws InvalidValueException if the name is unknown
     */
    public Account user(String nameOrId) throws InvalidValueException {
        boolean numeric = isNumber(nameOrId);
        for (String[] f : entries(passwd, 7)) {
            if (numeric ? f[2].equals(nameOrId) : f[0].equals(nameOrId)) {
                int uid = id(f[2]);
                int gid = id(f[3]);
                List<Integer> groups = new ArrayList<>(List.of(gid));
                for (String[] g : entries(group, 4)) {
                    if (List.of(g[3].split(",")).contains(f[0]) && isNumber(g[2]) && !groups.contains(id(g[2]))) {
                        groups.add(id(g[2]));
                    }
                }
                return new Account(f[0], new Credentials(uid, gid, groups), Path.of(f[5].isEmpty() ? "/" : f[5]),
                        f[6].isEmpty() ? "/bin/sh" : f[6]);
            }
        }
        if (!numeric) throw new InvalidValueException("unknown user '" + nameOrId + "' (not in " + passwd + ")");
        int uid = id(nameOrId);
        return new Account(nameOrId, Credentials.of(uid, uid), Path.of("/"), "/bin/sh");
    }

    /**
     * A group's gid by name or number.
     *
     * @throws InvalidValueException if the name is unknown
     */
    public int group(String nameOrId) throws InvalidValueException {
        if (isNumber(nameOrId)) return id(nameOrId);
        for (String[] g : entries(group, 3)) {
            if (g[0].equals(nameOrId) && isNumber(g[2])) return id(g[2]);
        }
        throw new InvalidValueException("unknown group '" + nameOrId + "' (not in " + group + ")");
    }

    private static List<String[]> entries(Path file, int fields) throws InvalidValueException {
        List<String[]> out = new ArrayList<>();
        try {
            if (!Files.exists(file)) return out;
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split(":", -1);
                if (f.length >= fields) out.add(f);
            }
        } catch (IOException e) {
            throw new InvalidValueException("cannot read " + file + ": " + e.getMessage());
        }
        return out;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')
                && Long.parseLong(s) <= Integer.MAX_VALUE;
    }

    private static int id(String s) throws InvalidValueException {
        if (!isNumber(s)) throw new InvalidValueException("'" + s + "' is no id");
        return Integer.parseInt(s);
    }
}
