package vigil.unit;

import java.util.Set;
import java.util.TreeSet;

/**
 * A set of exit codes and terminating signals, as {@code SuccessExitStatus=}, {@code RestartPreventExitStatus=}
 * and {@code RestartForceExitStatus=} hold them.
 */
public record ExitStatusSet(Set<Integer> codes, Set<Integer> signals) {
    public static final ExitStatusSet EMPTY = new ExitStatusSet(Set.of(), Set.of());

    public ExitStatusSet {
        codes = Set.copyOf(codes);
        signals = Set.copyOf(signals);
    }

    public boolean isEmpty() {
        return codes.isEmpty() && signals.isEmpty();
    }

    /** This set plus {@code other}: later assignments add to the set until an empty one resets it. */
    public ExitStatusSet plus(ExitStatusSet other) {
        var c = new TreeSet<>(codes);
        c.addAll(other.codes);
        var s = new TreeSet<>(signals);
        s.addAll(other.signals);
        return new ExitStatusSet(c, s);
    }

    public boolean containsCode(int code) {
        return codes.contains(code);
    }

    public boolean containsSignal(int signal) {
        return signals.contains(signal);
    }
}
