package vigil.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.daemon.LeftoverCheck.ProcessFacts;
import vigil.daemon.LeftoverCheck.Recorded;

class LeftoverCheckTest {
    private static final int SELF = 4000;
    private static final Instant STARTED = Instant.parse("2026-12-07T10:00:00.250Z");

    private static LeftoverCheck.Verdict judge(int pid, Instant recorded, ProcessFacts now) {
        return LeftoverCheck.judge(new Recorded(pid, recorded), Optional.ofNullable(now), SELF);
    }

    @Test
    void theSamePidStartedWhenRecordedIsALeftover() {
        // /proc counts in 10 ms ticks and the stamp follows the fork: close is the same.
        ProcessFacts now = new ProcessFacts(STARTED.minusMillis(30), 1);
        assertInstanceOf(LeftoverCheck.Leftover.class, judge(1234, STARTED, now));
    }

    @Test
    void aPidStartedAtAnotherTimeWasRecycledAndIsLeftAlone() {
        Instant later = STARTED.plus(Duration.ofMinutes(5));
        LeftoverCheck.Verdict verdict = judge(1234, STARTED, new ProcessFacts(later, 1));
        assertEquals(new LeftoverCheck.Recycled(later), verdict);
        Instant earlier = STARTED.minus(LeftoverCheck.TOLERANCE).minusMillis(10);
        assertInstanceOf(LeftoverCheck.Recycled.class, judge(1234, STARTED, new ProcessFacts(earlier, 1)));
    }

    @Test
    void aPidNoProcessHasIsGone() {
        assertInstanceOf(LeftoverCheck.Gone.class, judge(1234, STARTED, null));
        assertInstanceOf(LeftoverCheck.Gone.class, judge(0, STARTED, null));
    }

    @Test
    void pidOneAndThisVigilAreNeverLeftoversWhateverTheRecordSays() {
        // Even with a start time that matches: a forged or stale record must not make Vigil signal them.
        ProcessFacts matching = new ProcessFacts(STARTED, 0);
        assertInstanceOf(LeftoverCheck.Never.class, judge(1, STARTED, matching));
        assertInstanceOf(LeftoverCheck.Never.class, judge(SELF, STARTED, matching));
    }

    @Test
    void aChildOfThisVigilIsNeverALeftover() {
        assertInstanceOf(LeftoverCheck.Never.class, judge(1234, STARTED, new ProcessFacts(STARTED, SELF)));
    }

    @Test
    void procStatIsReadAfterTheLastParenthesisOfTheCommandName() {
        Instant boot = Instant.parse("2026-12-07T08:00:00Z");
        // A command name with spaces and a ')' of its own; ppid 77, start 123456 ticks (1234.56 s) after boot.
        String stat = "4242 (we) ird (x) S 77 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 "
                + "2600000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        ProcessFacts facts = Leftovers.parseStat(stat, boot);
        assertEquals(77, facts.parentPid());
        assertEquals(boot.plusMillis(1_234_560), facts.started());
    }
}
