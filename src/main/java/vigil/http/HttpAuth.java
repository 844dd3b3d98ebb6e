package vigil.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import vigil.os.UnixSocket.PeerCredentials;

/**
 * Who an action over HTTP acts as. Over {@code unix:PATH}, the caller's uid from SO_PEERCRED, and the control
 * socket's rules decide as they would for that uid there. Over TCP nobody is known: without {@code --http-token}
 * everything is read-only (403), and with it an action needs {@code Authorization: Bearer TOKEN} (401 without, or
 * with another token) and then acts as the daemon's owner. Actions are POSTs with that header, which a page of
 * another origin cannot send without a CORS preflight this server never grants; an {@code Origin} that is not
 * this server's own is refused as well.
 */
final class HttpAuth {
    private final Optional<byte[]> token;
    private final PeerCredentials owner;

    HttpAuth(Optional<String> token, int daemonUid) {
        this.token = token.map(t -> t.getBytes(StandardCharsets.US_ASCII));
        this.owner = new PeerCredentials(0, daemonUid, -1);
    }

    PeerCredentials actor(HttpRequest request, HttpConnection connection) throws HttpError {
        checkOrigin(request);
        if (connection.peer().isPresent()) return connection.peer().get();
        if (token.isEmpty()) {
            throw new HttpError(403, "read-only: actions over TCP need the daemon to be started with --http-token "
                    + "FILE (or --http unix:PATH, where the caller's uid decides)");
        }
        String given = request.header("authorization").orElse("");
        if (!given.regionMatches(true, 0, "Bearer ", 0, 7)
                || !MessageDigest.isEqual(token.get(), given.substring(7).strip().getBytes(StandardCharsets.US_ASCII))) {
            throw new HttpError(401, "an action needs the header Authorization: Bearer TOKEN, with the token of "
                    + "--http-token");
        }
        return owner;
    }

    /** Who reads: over unix the caller, so that what status shows it is what the control socket would show. */
    static PeerCredentials reader(HttpConnection connection) {
        return connection.peer().orElse(LoopBridge.READER);
    }

    private static void checkOrigin(HttpRequest request) throws HttpError {
        Optional<String> origin = request.header("origin");
        if (origin.isEmpty()) return;
        String host = request.header("host").orElse("");
        String o = origin.get();
        int scheme = o.indexOf("://");
        String originHost = scheme < 0 ? o : o.substring(scheme + 3);
        if (!originHost.equals(host)) {
            throw new HttpError(403, "a request from another origin (" + RequestTarget.shown(o) + ") may not act");
        }
    }
}
