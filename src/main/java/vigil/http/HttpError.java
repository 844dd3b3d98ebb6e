package vigil.http;

/** A request that gets an error status and a one-line reason; the connection closes after it. */
final class HttpError extends Exception {
    private final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
