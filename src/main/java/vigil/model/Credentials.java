package vigil.model;

import java.util.List;

/**
 * Who a process runs as: numeric ids only, resolved before they get here, so the child does no name lookups.
 *
 * @param uid    the real, effective and saved uid
 * @param gid    the real, effective and saved gid
 * @param groups the supplementary groups, replacing whatever Vigil has (usually just {@code gid})
 */
public record Credentials(int uid, int gid, List<Integer> groups) {
    public Credentials {
        if (uid < 0 || gid < 0) throw new IllegalArgumentException("ids must not be negative: " + uid + ":" + gid);
        groups = List.copyOf(groups);
    }

    /** The user with only its primary group: what a process started on someone's behalf gets. */
    public static Credentials of(int uid, int gid) {
        return new Credentials(uid, gid, List.of(gid));
    }
}
