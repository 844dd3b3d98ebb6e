package vigil.loop;

/**
 * The failures of steps that must all run though some may throw (each a bug): one subscriber's or observer's bug
 * must not cost the others their turn. {@link #throwIfAny()} then throws the first, the later ones suppressed in
 * it, so that the loop's error reporter tells them all.
 */
public final class Failures {
    private RuntimeException first;

    /** Runs {@code step}, keeping what it throws. */
    public void attempt(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            add(e);
        }
    }

    public void add(RuntimeException failure) {
        if (first == null) first = failure;
        else first.addSuppressed(failure);
    }

    public void throwIfAny() {
        if (first != null) throw first;
    }
}
