package vigil.service;

/** No process could be made: fork or pipe failed (EAGAIN, EMFILE, ENOMEM...). Worth retrying later. */
public final class SpawnException extends Exception {
    private final int errno;

    public SpawnException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
