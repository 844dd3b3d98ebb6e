package vigil.control;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Who holds what on the control socket, by uid, against the {@link ControlLimits}: connections, buffer bytes and
 * request tokens. Root (uid 0) and the daemon's own user (whose daemon it is, when it is not root's) are counted by
 * none of them and refused nothing. Pure bookkeeping on the loop
 * thread, with the time passed in, so it is tested without sockets or clocks.
 */
final class ClientQuotas {
    static final int ROOT = 0;
    /** Forgotten users' entries are swept once there are this many, so the table stays small whatever connects. */
    private static final int SWEEP_AT = 1024;

    private final ControlLimits limits;
    private final int owner;
    private final Map<Integer, User> users = new HashMap<>();
    private int userConnections;
    private long bufferBytes;

    /** One uid's share. Kept after its last connection closes until its bucket is full again, so that reconnecting
     * does not refill it. */
    private static final class User {
        int connections;
        final TokenBucket requests;

        User(TokenBucket requests) {
            this.requests = requests;
        }
    }

    /** @param owner the uid the daemon runs as */
    ClientQuotas(ControlLimits limits, int owner) {
        this.limits = limits;
        this.owner = owner;
    }

    /** Root, or the daemon's own user: bound by no limit. */
    boolean isExempt(int uid) {
        return uid == ROOT || uid == owner;
    }

    /** Takes a connection from {@code uid}; if it is over a limit, nothing is taken and the reason is returned. */
    Optional<String> admit(int uid, long now) {
        if (isExempt(uid)) return Optional.empty();
        User user = user(uid, now);
        if (user.connections >= limits.connectionsPerUser()) {
            return Optional.of("uid " + uid + " has " + user.connections + " connections open, the most allowed");
        }
        if (userConnections >= limits.userConnections()) {
            return Optional.of("users other than root have " + userConnections + " connections open, the most allowed");
        }
        user.connections++;
        userConnections++;
        return Optional.empty();
    }

    /** A connection {@link #admit admitted} has closed. */
    void closed(int uid) {
        if (isExempt(uid)) return;
        User user = users.get(uid);
        if (user == null || user.connections == 0) throw new IllegalStateException("uid " + uid + " had no connection");
        user.connections--;
        userConnections--;
    }

    /** Whether a connection of {@code uid} may hold {@code bytes} more of buffers; if so they are counted. */
    boolean grow(int uid, long bytes) {
        if (isExempt(uid)) return true;
        if (bufferBytes + bytes > limits.bufferBudget()) return false;
        bufferBytes += bytes;
        return true;
    }

    /** A connection of {@code uid} gave {@code bytes} of buffers back. */
    void shrink(int uid, long bytes) {
        if (isExempt(uid)) return;
        bufferBytes -= bytes;
        if (bufferBytes < 0) throw new IllegalStateException("more buffer bytes given back than taken");
    }

    /** One request from {@code uid} at {@code now}: 0 if it may go ahead, else the nanoseconds until it may. */
    long takeRequest(int uid, long now) {
        if (isExempt(uid)) return 0;
        return user(uid, now).requests.take(now);
    }

    int userConnections() {
        return userConnections;
    }

    long bufferBytes() {
        return bufferBytes;
    }

    private User user(int uid, long now) {
        User user = users.get(uid);
        if (user != null) return user;
        if (users.size() >= SWEEP_AT) sweep(now);
        user = new User(new TokenBucket(limits.requestsPerSecond(), limits.requestBurst(), now));
        users.put(uid, user);
        return user;
    }

    /** Forgets the uids with no connection and a full bucket: a new entry for them would be the same. */
    private void sweep(long now) {
        for (Iterator<User> it = users.values().iterator(); it.hasNext(); ) {
            User user = it.next();
            if (user.connections == 0 && user.requests.isFull(now)) it.remove();
        }
    }

    /** How many uids are remembered now. */
    int rememberedUsers() {
        return users.size();
    }
}
