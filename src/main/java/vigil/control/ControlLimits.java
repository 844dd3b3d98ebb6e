package vigil.control;

/**
 * What the control socket lets users other than root make the daemon hold, so that none can exhaust its memory,
 * fds or time. Root is bound by none of them: it always has a way in; nor is the user the daemon runs as.
 *
 * @param connectionsPerUser at most this many connections open at once from one uid; more are refused at once
 * @param userConnections    at most this many from all uids but root together: the fds held for the daemon's own
 *                           work must stay free whatever the users do
 * @param bufferBudget       bytes of input and output buffers for all of them together; a connection that would
 *                           pass it is dropped
 * @param requestsPerSecond  each uid's sustained request rate; past it, its connections are not read until its
 *                           turn comes back (the client waits, the daemon does no work)
 * @param requestBurst       requests a uid may send at once before the rate applies
 * @param servicesPerUser    transient services ({@code add}) one uid may have at once; 0: none
 */
public record ControlLimits(int connectionsPerUser, int userConnections, long bufferBudget, int requestsPerSecond,
                            int requestBurst, int servicesPerUser) {
    public static final int DEFAULT_CONNECTIONS_PER_USER = 64;
    /** Enough for a few busy users; what the table of connections costs then is a few MB at most. */
    public static final int DEFAULT_USER_CONNECTIONS = 4096;
    /** 256 connections' worth of full-length request lines: 16 MiB, a small part of the daemon's 512 MiB heap. */
    public static final long DEFAULT_BUFFER_BUDGET = 256L * Protocol.MAX_LINE;
    /** Far more than a person or a script that waits for its replies sends; a flood is slowed to it. */
    public static final int DEFAULT_REQUESTS_PER_SECOND = 50;
    public static final int DEFAULT_REQUEST_BURST = 100;
    /** rund's habit, and the issue's: enough for a user's own jobs, far from a flood of processes. */
    public static final int DEFAULT_SERVICES_PER_USER = 64;

    public ControlLimits {
        if (connectionsPerUser < 1 || userConnections < 1 || bufferBudget < 1 || requestsPerSecond < 1
                || requestBurst < 1) {
            throw new IllegalArgumentException("control limits must be positive");
        }
        if (servicesPerUser < 0) throw new IllegalArgumentException("the transient services cap must be 0 or more");
    }

    public static final ControlLimits DEFAULT = new ControlLimits(DEFAULT_CONNECTIONS_PER_USER,
            DEFAULT_USER_CONNECTIONS, DEFAULT_BUFFER_BUDGET, DEFAULT_REQUESTS_PER_SECOND, DEFAULT_REQUEST_BURST,
            DEFAULT_SERVICES_PER_USER);

    /**
     * These limits with the users' connections also kept to a quarter of {@code openFilesLimit} (at least 1; a
     * negative limit is unlimited): the other three quarters stay for services, logs and pidfds.
     */
    public ControlLimits within(long openFilesLimit) {
        if (openFilesLimit < 0) return this;
        int users = (int) Math.max(1, Math.min(userConnections, openFilesLimit / 4));
        return new ControlLimits(connectionsPerUser, users, bufferBudget, requestsPerSecond, requestBurst,
                servicesPerUser);
    }
}
