package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;

/** The job engine over a fake port: transactions, ordering, propagation and shutdown, one turn at a time. */
class JobEngineTest {
    private final FakeUnits units = new FakeUnits();
    private final List<String> finished = new ArrayList<>();
    private final List<String> said = new ArrayList<>();
    private final List<String> reached = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private JobEngine engine;

    private final JobListener listener = new JobListener() {
        @Override
        public void finished(Job job, JobResult result) {
            finished.add(job + " " + result.word());
        }

        @Override
        public void say(String unit, String message) {
            said.add(unit + ": " + message);
        }

        @Override
        public void reached(String target, EngineMeter.Reading engine) {
            reached.add(target + " after " + engine.jobs() + " jobs");
        }
    };

    /** A unit with dependencies written as in a unit file: {@code "Requires=db.service After=db.service"}. */
    private void unit(String name, String... settings) {
        var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
        for (String s : settings) {
            String key = s.substring(0, s.indexOf('='));
            Dependency d = Dependency.forDirective(key).orElseThrow();
            edges.computeIfAbsent(d, k -> new LinkedHashSet<>()).add(s.substring(s.indexOf('=') + 1));
        }
        Node.Kind kind = name.endsWith(".target") ? Node.Kind.TARGET : Node.Kind.SERVICE;
        nodes.add(new Node(name, kind, edges));
    }

    private JobEngine engine() {
        engine = new JobEngine(new Graph(nodes), units, listener);
        units.engine = engine;
        return engine;
    }

    // ---- ordering ----

    @Test
    void aStartWaitsUntilWhatItIsOrderedAfterIsActive() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        engine().enqueue(JobType.START, "app.service");
        assertEquals(List.of("start db.service"), units.calls, "app waits for db");
        units.set("db.service", Activity.ACTIVATING);
        assertEquals(List.of("start db.service"), units.calls, "activating is not active");
        units.set("db.service", Activity.ACTIVE);
        assertEquals(List.of("start db.service", "start app.service"), units.calls);
        assertEquals(List.of("db.service/start done"), finished);
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("db.service/start done", "app.service/start done"), finished);
        assertTrue(engine.jobs().isEmpty());
    }

    @Test
    void jobsThatWouldChangeNothingAreLeftOutOfTheTransactionButTheAnchorIsNot() {
        unit("db.service");
        unit("rescue.service");
        unit("app.service", "Requires=db.service", "After=db.service", "Conflicts=rescue.service");
        engine();
        units.set("db.service", Activity.ACTIVE);
        JobEngine.Outcome.Queued q = (JobEngine.Outcome.Queued) engine.enqueue(JobType.START, "app.service");
        // db is active and rescue is down: systemd's transaction_drop_redundant leaves both jobs out.
        assertEquals(List.of("app.service"), q.jobs().stream().map(Job::unit).toList());
        assertEquals(List.of("start app.service"), units.calls);
        units.set("app.service", Activity.ACTIVE);
        JobEngine.Outcome.Queued again = (JobEngine.Outcome.Queued) engine.enqueue(JobType.START, "app.service");
        assertEquals(List.of("app.service"), again.jobs().stream().map(Job::unit).toList(), "the anchor stays");
        assertEquals(List.of("app.service/start done", "app.service/start done"), finished);
    }

    @Test
    void unorderedJobsAllRunInTheSameTurn() {
        unit("db.service");
        unit("cache.service");
        unit("app.service", "Wants=db.service", "Requires=cache.service");
        engine().enqueue(JobType.START, "app.service");
        assertEquals(Set.of("start app.service", "start db.service", "start cache.service"),
                Set.copyOf(units.calls));
        assertEquals(3, units.calls.size());
    }

    @Test
    void requirementsWithoutOrderingDoNotWaitForReadiness() {
        unit("db.service");
        unit("app.service", "Requires=db.service");
        engine().enqueue(JobType.START, "app.service");
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("app.service/start done"), finished, "db is still activating; nothing orders them");
    }

    @Test
    void aStartDoesNotRunWhileItsUnitIsStillStopping() {
        unit("db.service");
        units.given("db.service", Activity.DEACTIVATING);
        engine().enqueue(JobType.START, "db.service");
        assertEquals(List.of(), units.calls);
        units.set("db.service", Activity.INACTIVE);
        assertEquals(List.of("start db.service"), units.calls);
    }

    // ---- propagation ----

    @Test
    void aFailedRequirementFailsItsDependentsWithDependency() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        unit("web.service", "Requires=app.service", "After=app.service");
        unit("stats.service", "Wants=db.service", "After=db.service");
        engine().enqueue(JobType.START, "web.service");
        engine.enqueue(JobType.START, "stats.service");
        units.set("db.service", Activity.FAILED);
        assertEquals(List.of("db.service/start failed", "app.service/start dependency",
                "web.service/start dependency"), finished);
        assertEquals(List.of("start db.service", "start stats.service"), units.calls,
                "what required db never starts; what only wanted it does");
        assertTrue(said.contains("app.service: not started: it needs db.service, whose start did not succeed"),
                said.toString());
    }

    @Test
    void bindsToStopsTheUnitWhenTheOtherStopsOnItsOwn() {
        unit("db.service");
        unit("app.service", "BindsTo=db.service", "After=db.service");
        engine();
        units.given("db.service", Activity.ACTIVE);
        units.given("app.service", Activity.ACTIVE);
        units.set("db.service", Activity.FAILED);
        assertEquals(List.of("stop app.service"), units.calls);
        assertTrue(said.contains("app.service: stopping: it is bound to db.service, which stopped"), said.toString());
    }

    @Test
    void requiresDoesNotStopTheDependentWhenTheOtherStopsOnItsOwn() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        engine();
        units.given("db.service", Activity.ACTIVE);
        units.given("app.service", Activity.ACTIVE);
        units.set("db.service", Activity.FAILED);
        assertEquals(List.of(), units.calls, "only an explicit stop of db carries to what requires it");
        engine.enqueue(JobType.STOP, "db.service");
        assertEquals(List.of("stop app.service"), units.calls, "db stops after app: stops go in reverse");
    }

    @Test
    void partOfCarriesStopsAndRestarts() {
        unit("app.service");
        unit("worker.service", "PartOf=app.service", "After=app.service");
        unit("idle.service", "PartOf=app.service");
        engine();
        units.given("app.service", Activity.ACTIVE);
        units.given("worker.service", Activity.ACTIVE);
        engine.enqueue(JobType.RESTART, "app.service");
        assertEquals(List.of("stop (restart) worker.service"), units.calls,
                "the worker stops first; idle is down: no restart");
        units.set("worker.service", Activity.INACTIVE);
        assertEquals(List.of("stop (restart) worker.service", "stop (restart) app.service"), units.calls);
        units.set("app.service", Activity.INACTIVE);
        assertEquals(List.of("stop (restart) worker.service", "stop (restart) app.service", "start app.service"),
                units.calls);
        units.set("app.service", Activity.ACTIVE);
        assertEquals("start worker.service", units.calls.getLast(), "the worker starts again after app");

        units.calls.clear();
        units.set("worker.service", Activity.ACTIVE);
        engine.enqueue(JobType.STOP, "app.service");
        assertEquals(List.of("stop worker.service"), units.calls);
    }

    @Test
    void conflictsStopsTheOtherSideEitherWayRound() {
        unit("a.service", "Conflicts=b.service");
        unit("b.service");
        engine();
        units.given("b.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "a.service");
        assertEquals(Set.of("start a.service", "stop b.service"), Set.copyOf(units.calls));
        units.set("a.service", Activity.ACTIVE);
        units.set("b.service", Activity.INACTIVE);
        units.calls.clear();
        engine.enqueue(JobType.START, "b.service");
        assertEquals(Set.of("start b.service", "stop a.service"), Set.copyOf(units.calls), "b did not say it");
    }

    @Test
    void aWantedJobThatConflictsIsLeftOutAndTheRequestGoesOn() {
        unit("a.service", "Wants=b.service", "Requires=c.service");
        unit("b.service");
        unit("c.service", "Conflicts=b.service");
        engine();
        units.given("b.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "a.service");
        assertEquals(Set.of("start a.service", "start c.service", "stop b.service"), Set.copyOf(units.calls),
                "what c requires wins over what a only wants");
        assertEquals(List.of("a.service: a.service wants b.service, which is left out: conflicting jobs: stop and "
                + "start of b.service"), said);
    }

    @Test
    void aWantedJobPlannedFirstMakesWayForARequiredOneLater() {
        unit("a.service", "Wants=b.service", "Conflicts=c.service");
        unit("b.service", "PartOf=c.service");
        unit("c.service");
        engine();
        units.given("c.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "a.service");
        assertEquals(Set.of("start a.service", "stop c.service"), Set.copyOf(units.calls));
        assertEquals(List.of("a.service: left out the start of b.service, which only Wants= pulled in: c.service "
                + "needs its stop"), said);
    }

    @Test
    void aNewJobReplacesAnInstalledOneItCannotMergeWith() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        engine().enqueue(JobType.START, "app.service");
        engine.enqueue(JobType.STOP, "app.service");
        assertEquals(List.of("app.service/start canceled", "app.service/stop done"), finished);
    }

    // ---- bad requests ----

    @Test
    void aMissingRequirementRefusesTheStartAndAMissingWantIsLeftOut() {
        unit("app.service", "Requires=ghost.service");
        unit("web.service", "Wants=ghost.service");
        JobEngine.Outcome refused = engine().enqueue(JobType.START, "app.service");
        assertEquals(new JobEngine.Outcome.Refused("app.service needs ghost.service, which does not exist"), refused);
        assertEquals(List.of(), units.calls);
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.START, "web.service"));
        assertEquals(List.of("start web.service"), units.calls);
        assertTrue(said.contains("web.service: web.service wants ghost.service, which is left out: web.service needs "
                + "ghost.service, which does not exist"), said.toString());
    }

    @Test
    void requisiteRefusesUnlessTheOtherIsActiveAlready() {
        unit("db.service");
        unit("app.service", "Requisite=db.service", "After=db.service");
        JobEngine.Outcome refused = engine().enqueue(JobType.START, "app.service");
        assertInstanceOf(JobEngine.Outcome.Refused.class, refused);
        assertEquals(List.of(), units.calls, "Requisite= starts nothing");
        units.given("db.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "app.service");
        assertEquals(List.of("start app.service"), units.calls);
    }

    // ---- cycles ----

    @Test
    void aCycleOfRequiredJobsRefusesTheRequestNamingEveryUnitOnIt() {
        unit("a.service", "Requires=b.service", "After=c.service");
        unit("b.service", "Requires=c.service", "After=a.service");
        unit("c.service", "After=b.service");
        JobEngine.Outcome outcome = engine().enqueue(JobType.START, "a.service");
        var refused = assertInstanceOf(JobEngine.Outcome.Refused.class, outcome);
        assertEquals("ordering cycle: a.service after c.service after b.service after a.service; every job on it "
                + "is required", refused.reason());
        assertEquals(List.of(), units.calls);
        assertTrue(engine.jobs().isEmpty());
    }

    @Test
    void aCycleIsBrokenByLeavingOutAJobOnlyWantsPulledIn() {
        unit("multi-user.target", "Wants=a.service", "Wants=b.service");
        unit("a.service", "After=b.service");
        unit("b.service", "After=a.service");
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine().enqueue(JobType.START, "multi-user.target"));
        assertEquals(1, units.calls.size(), units.calls.toString());
        assertTrue(said.contains("multi-user.target: ordering cycle: a.service after b.service after a.service; "
                + "left out the start of a.service, which only Wants= pulled in"), said.toString());
        assertEquals(List.of("start b.service"), units.calls);
    }

    // ---- targets ----

    @Test
    void aTargetIsActiveOnceWhatItIsOrderedAfterIs() {
        unit("multi-user.target", "Wants=db.service", "Wants=cron.service", "After=db.service");
        unit("db.service");
        unit("cron.service");
        engine().enqueue(JobType.START, "multi-user.target");
        assertEquals(Activity.INACTIVE, engine.activity("multi-user.target"));
        units.set("cron.service", Activity.ACTIVE);
        assertEquals(Activity.INACTIVE, engine.activity("multi-user.target"), "it is not ordered after cron");
        units.set("db.service", Activity.ACTIVE);
        assertEquals(Activity.ACTIVE, engine.activity("multi-user.target"));
        assertEquals("multi-user.target/start done", finished.getLast());
    }

    @Test
    void aTargetReachedIsToldOnceWithWhatTheEngineDidSoFar() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        unit("multi-user.target", "Wants=app.service", "After=app.service");
        engine().enqueue(JobType.START, "multi-user.target");
        units.set("db.service", Activity.ACTIVE);
        assertEquals(List.of(), reached, "not before what it is ordered after is active");
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("multi-user.target after 3 jobs"), reached);
        assertEquals(5, engine.meter().checks(), "each job looked at when installed, and a waiting one once more "
                + "when what it waited for was done");
    }

    // ---- shutdown ----

    @Test
    void stopAllStopsInReverseOrderAndThenSaysSo() {
        unit("db.service");
        unit("app.service", "Requires=db.service", "After=db.service");
        unit("web.service", "Wants=app.service", "After=app.service");
        unit("cron.service");
        engine();
        for (String u : List.of("db.service", "app.service", "web.service", "cron.service")) {
            units.given(u, Activity.ACTIVE);
        }
        boolean[] done = {false};
        engine.stopAll(() -> done[0] = true);
        assertEquals(Set.of("stop web.service", "stop cron.service"), Set.copyOf(units.calls));
        units.set("cron.service", Activity.INACTIVE);
        units.set("web.service", Activity.INACTIVE);
        assertEquals("stop app.service", units.calls.getLast());
        units.set("app.service", Activity.INACTIVE);
        assertEquals("stop db.service", units.calls.getLast());
        assertEquals(false, done[0]);
        units.set("db.service", Activity.INACTIVE);
        assertTrue(done[0]);
    }

    @Test
    void aStopGoesBeforeAStartOnOrderedUnits() {
        unit("old.service");
        unit("new.service", "After=old.service", "Conflicts=old.service");
        engine();
        units.given("old.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "new.service");
        assertEquals(List.of("stop old.service"), units.calls);
        units.set("old.service", Activity.INACTIVE);
        assertEquals(List.of("stop old.service", "start new.service"), units.calls);
    }

    @Test
    void aChainOfTenThousandUnitsStartsInOrderWithoutExhaustingTheStack() {
        int n = 10_000;
        unit("u0.service");
        for (int i = 1; i < n; i++) {
            unit("u" + i + ".service", "Requires=u" + (i - 1) + ".service", "After=u" + (i - 1) + ".service");
        }
        engine().enqueue(JobType.START, "u" + (n - 1) + ".service");
        for (int i = 0; i < n; i++) {
            assertEquals("start u" + i + ".service", units.calls.getLast());
            units.set("u" + i + ".service", Activity.ACTIVE);
        }
        assertEquals(n, units.calls.size());
        assertTrue(engine.jobs().isEmpty());
        assertEquals(List.of(), engine.graph().orderingCycles());
    }

    /**
     * The bad input "10,000 units in one graph": 10 layers of 1000, each unit requiring and ordered after two of the
     * layer below, all wanted by one target. Every unit starts once, only after both its requirements are active,
     * and the engine looks at each waiting job a bounded number of times, not once per change of any unit.
     */
    @Test
    void tenThousandUnitsInLayersStartInOrderWithTheWorkBoundedByTheJobs() {
        int layers = 10;
        int width = 1000;
        List<String> wanted = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            for (int i = 0; i < width; i++) {
                String name = "l" + layer + "u" + i + ".service";
                wanted.add("Wants=" + name);
                wanted.add("After=" + name);
                if (layer == 0) {
                    unit(name);
                    continue;
                }
                String a = "l" + (layer - 1) + "u" + i + ".service";
                String b = "l" + (layer - 1) + "u" + (i + 1) % width + ".service";
                unit(name, "Requires=" + a, "After=" + a, "Requires=" + b, "After=" + b);
            }
        }
        unit("all.target", wanted.toArray(String[]::new));
        int n = layers * width;
        engine().enqueue(JobType.START, "all.target");
        assertEquals(width, units.calls.size(), "only the first layer starts at once");
        for (int next = 0; next < units.calls.size(); next++) {
            String started = units.calls.get(next).substring("start ".length());
            int before = units.calls.size();
            units.set(started, Activity.ACTIVE);
            for (String call : units.calls.subList(before, units.calls.size())) {
                String unit = call.substring("start ".length());
                for (String required : engine.graph().forward(unit, Dependency.REQUIRES)) {
                    assertEquals(Activity.ACTIVE, units.activity(required), unit + " started before " + required);
                }
            }
        }
        assertEquals(n, units.calls.size());
        assertEquals(n, Set.copyOf(units.calls).size(), "each unit started once");
        assertEquals(Activity.ACTIVE, engine.activity("all.target"));
        assertTrue(engine.jobs().isEmpty());
        EngineMeter.Reading work = engine.meter();
        assertEquals(n + 1, work.jobs());
        assertTrue(work.checks() <= 3L * work.jobs(), "waiting jobs looked at " + work.checks() + " times for "
                + work.jobs() + " jobs");
    }

    @Test
    void deletingAWantedJobDeletesWhatRequiresIt() {
        unit("multi-user.target", "Wants=a.service", "Wants=b.service");
        unit("a.service", "After=b.service");
        unit("b.service", "After=a.service", "Requires=c.service");
        unit("c.service", "Requires=a.service");
        engine().enqueue(JobType.START, "multi-user.target");
        assertTrue(said.stream().anyMatch(m -> m.contains("left out the start of a.service")), said.toString());
        assertTrue(said.contains("multi-user.target: left out the start of c.service, which needs a.service"),
                said.toString());
        assertTrue(said.contains("multi-user.target: left out the start of b.service, which needs c.service"),
                said.toString());
        assertEquals(List.of(), units.calls, "nothing is left of the cycle but the target");
        assertEquals(Activity.ACTIVE, engine.activity("multi-user.target"));
    }

    @Test
    void graphKnowsBothEndsOfEachEdge() {
        unit("a.service", "Before=b.service", "Requires=b.service");
        unit("b.service");
        Graph g = new Graph(nodes);
        assertEquals(Set.of("a.service"), g.after("b.service"));
        assertEquals(Set.of("a.service"), g.reverse("b.service", Dependency.REQUIRES));
        assertEquals(Set.of("b.service"), g.before("a.service"));
    }
}
