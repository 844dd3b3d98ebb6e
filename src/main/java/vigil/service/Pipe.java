package vigil.service;

/** A pipe held open by Vigil so that either side may restart without losing a byte. */
public interface Pipe {
    /** Closes Vigil's copy of the write end, so readers see EOF once every writer has gone. Idempotent. */
    void closeWriteEnd();

    /** Closes both of Vigil's ends. Idempotent. */
    void close();
}
