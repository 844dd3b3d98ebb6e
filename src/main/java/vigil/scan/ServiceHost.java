package vigil.scan;

import vigil.model.DirectorySpec;

/** What a scanned tree asks of the daemon: supervise a service, stop one, follow a rename. */
public interface ServiceHost {
    /**
     * Starts supervising the service (and its logger). If a service of that name is still stopping after its
     * removal, this one starts as soon as that one is gone.
     *
     * @throws CannotSupervise with a message for the operator: another supervisor holds its lock, or another
     *                         tree has a live service of that name
     */
    void add(DirectorySpec spec) throws CannotSupervise;

    /** Stops the service, then its logger, then forgets both. */
    void remove(String name);

    /**
     * The directory was renamed: keep the running service, take its new name and paths.
     *
     * @throws CannotSupervise if the new name is taken (by a service of another tree, a transient one, or one
     *                         still stopping); nothing has changed then
     */
    void rename(String from, DirectorySpec renamed) throws CannotSupervise;

    /**
     * A unit file (or a unit's .wants/, .requires/ or drop-in directory) in the tree was made, changed or removed:
     * the unit files are to be read again, as by daemon-reload.
     */
    void unitFilesChanged();

    /** Why a service could not be supervised; {@code retryable} when it is a passing shortage (fds, memory). */
    final class CannotSupervise extends Exception {
        private final boolean retryable;

        public CannotSupervise(String message, boolean retryable) {
            super(message);
            this.retryable = retryable;
        }

        public boolean retryable() {
            return retryable;
        }
    }
}
