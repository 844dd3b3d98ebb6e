package vigil.os;

import java.io.IOException;

/** A system call failed; carries the call's name and errno, and says both in words. */
public final class OsException extends IOException {
    private final String call;
    private final int errno;

    public OsException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public OsException(String call, String subject, int errno) {
        super(call + " " + subject + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
