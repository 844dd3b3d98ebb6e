package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;

/**
 * The [Unit] settings beyond requirements and ordering, over the fake port: OnFailure=, OnSuccess=, Upholds=,
 * StopWhenUnneeded=, Refuse*=, the propagation of stops and reloads, reload and try-restart jobs, isolate, and the
 * default dependencies with the shutdown order they give.
 */
class UnitSemanticsTest {
    private final FakeUnits units = new FakeUnits();
    private final List<String> finished = new ArrayList<>();
    private final List<String> said = new ArrayList<>();
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
    };

    /**
     * A unit as in a unit file: {@code "Requires=db.service"}, or one of the switches ({@code "AllowIsolate=yes"},
     * {@code "DefaultDependencies=yes"}...). Without the latter a node has no default dependencies, as in
     * JobEngineTest.
     */
    private void unit(String name, String... settings) {
        var edges = new EnumMap<Dependency, Set<String>>(Dependency.class);
        Set<String> switches = new LinkedHashSet<>();
        for (String s : settings) {
            String key = s.substring(0, s.indexOf('='));
            String value = s.substring(s.indexOf('=') + 1);
            var d = Dependency.forDirective(key);
            if (d.isPresent()) {
                edges.computeIfAbsent(d.get(), k -> new LinkedHashSet<>()).add(value);
            } else {
                assertEquals("yes", value, s);
                switches.add(key);
            }
        }
        var traits = new Traits(switches.remove("DefaultDependencies"), switches.remove("StopWhenUnneeded"),
                switches.remove("RefuseManualStart"), switches.remove("RefuseManualStop"),
                switches.remove("AllowIsolate"), switches.remove("IgnoreOnIsolate"),
                switches.remove("OnFailureIsolate"), switches.remove("BusClient"));
        assertTrue(switches.isEmpty(), "unknown settings " + switches);
        Node.Kind kind = name.endsWith(".target") ? Node.Kind.TARGET : Node.Kind.SERVICE;
        nodes.add(new Node(name, kind, edges, traits));
    }

    private JobEngine engine() {
        engine = new JobEngine(new Graph(DefaultDependencies.apply(nodes)), units, listener);
        units.engine = engine;
        return engine;
    }

    private static final Dependency[] ALL = Dependency.values();

    // ---- OnFailure=, OnSuccess= ----

    @Test
    void onFailureStartsItsUnitsWhenTheUnitFails() {
        unit("app.service", "OnFailure=alert.service");
        unit("alert.service");
        engine().enqueue(JobType.START, "app.service");
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("start app.service"), units.calls);
        units.set("app.service", Activity.FAILED);
        assertEquals(List.of("start app.service", "start alert.service"), units.calls);
        assertTrue(said.contains("app.service: failed; starting alert.service (OnFailure=)"), said.toString());
        units.set("app.service", Activity.FAILED);
        assertEquals(2, units.calls.size(), "only entering the failed state sets it off");
    }

    @Test
    void onSuccessStartsItsUnitsWhenTheUnitEndsCleanlyAndNotWhenItFails() {
        unit("backup.service", "OnSuccess=report.service", "OnFailure=alert.service");
        unit("report.service");
        unit("alert.service");
        engine().enqueue(JobType.START, "backup.service");
        units.set("backup.service", Activity.ACTIVATING);
        units.set("backup.service", Activity.INACTIVE);
        assertEquals(List.of("start backup.service", "start report.service"), units.calls);
        units.calls.clear();
        engine.enqueue(JobType.START, "backup.service");
        units.set("backup.service", Activity.FAILED);
        assertEquals(List.of("start backup.service", "start alert.service"), units.calls);
    }

    @Test
    void onFailureNamingAUnitThatDoesNotExistSaysSo() {
        unit("app.service", "OnFailure=ghost.service");
        engine().enqueue(JobType.START, "app.service");
        units.set("app.service", Activity.FAILED);
        assertTrue(said.contains("ghost.service: start refused: ghost.service: no such unit"), said.toString());
    }

    @Test
    void onFailureJobModeIsolateIsolatesToTheUnit() {
        unit("rescue.target", "AllowIsolate=yes", "Wants=shell.service");
        unit("shell.service");
        unit("app.service", "OnFailure=rescue.target", "OnFailureIsolate=yes");
        unit("web.service");
        engine();
        units.given("web.service", Activity.ACTIVE);
        units.given("app.service", Activity.ACTIVE);
        units.set("app.service", Activity.FAILED);
        assertEquals(Set.of("start shell.service", "stop web.service"), Set.copyOf(units.calls));
    }

    // ---- Upholds= ----

    @Test
    void upholdsStartsTheUnitAgainWheneverItStopsWhileTheUpholderIsActive() {
        unit("app.service", "Upholds=sidecar.service");
        unit("sidecar.service");
        engine().enqueue(JobType.START, "app.service");
        assertEquals(Set.of("start app.service", "start sidecar.service"), Set.copyOf(units.calls),
                "a start pulls in what it upholds, as Wants= does");
        units.set("app.service", Activity.ACTIVE);
        units.set("sidecar.service", Activity.ACTIVE);
        units.calls.clear();
        units.set("sidecar.service", Activity.FAILED);
        assertEquals(List.of("start sidecar.service"), units.calls);
        assertTrue(said.contains("sidecar.service: starting: app.service upholds it (Upholds=)"), said.toString());
        units.set("sidecar.service", Activity.ACTIVE);
        engine.enqueue(JobType.STOP, "sidecar.service");
        units.set("sidecar.service", Activity.INACTIVE);
        assertEquals("start sidecar.service", units.calls.getLast(), "even a stop by hand");
    }

    @Test
    void upholdsLetsGoOnceTheUpholderStops() {
        unit("app.service", "Upholds=sidecar.service", "Before=sidecar.service");
        unit("sidecar.service");
        engine();
        units.given("app.service", Activity.ACTIVE);
        units.given("sidecar.service", Activity.ACTIVE);
        engine.enqueue(JobType.STOP, "app.service");
        units.set("app.service", Activity.INACTIVE);
        units.set("sidecar.service", Activity.FAILED);
        assertEquals(List.of("stop app.service"), units.calls);
    }

    @Test
    void anUpholderThatBecomesActiveStartsWhatItUpholds() {
        unit("app.service", "Upholds=sidecar.service");
        unit("sidecar.service");
        engine();
        units.given("app.service", Activity.ACTIVATING);
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("start sidecar.service"), units.calls);
    }

    // ---- StopWhenUnneeded= ----

    @Test
    void stopWhenUnneededStopsTheUnitOnceTheLastUnitThatNeedsItStops() {
        unit("db.service", "StopWhenUnneeded=yes");
        unit("app.service", "Requires=db.service", "After=db.service");
        unit("report.service", "Wants=db.service", "After=db.service");
        engine().enqueue(JobType.START, "app.service");
        engine.enqueue(JobType.START, "report.service");
        units.set("db.service", Activity.ACTIVE);
        assertEquals(Set.of("start db.service", "start app.service", "start report.service"),
                Set.copyOf(units.calls), "db is needed while the others start");
        units.set("app.service", Activity.ACTIVE);
        units.set("report.service", Activity.ACTIVE);
        units.calls.clear();
        units.set("app.service", Activity.INACTIVE);
        assertEquals(List.of(), units.calls, "report still wants it");
        units.set("report.service", Activity.FAILED);
        assertEquals(List.of("stop db.service"), units.calls);
        assertTrue(said.contains("db.service: stopping: no unit that is up needs it any more "
                + "(StopWhenUnneeded=yes)"), said.toString());
    }

    @Test
    void stopWhenUnneededStopsAUnitStartedByHandThatNothingNeeds() {
        unit("helper.service", "StopWhenUnneeded=yes");
        engine().enqueue(JobType.START, "helper.service");
        units.set("helper.service", Activity.ACTIVE);
        assertEquals(List.of("start helper.service", "stop helper.service"), units.calls);
    }

    // ---- RefuseManualStart=, RefuseManualStop= ----

    @Test
    void refuseManualStartRefusesARequestButNotAStartPulledIn() {
        unit("setup.service", "RefuseManualStart=yes");
        unit("app.service", "Requires=setup.service");
        JobEngine.Outcome refused = engine().request(JobType.START, "setup.service");
        assertEquals(new JobEngine.Outcome.Refused("setup.service may be started only as a dependency of another "
                + "unit (RefuseManualStart=yes)"), refused);
        assertInstanceOf(JobEngine.Outcome.Refused.class, engine.request(JobType.RESTART, "setup.service"));
        assertEquals(List.of(), units.calls);
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.request(JobType.START, "app.service"));
        assertEquals(Set.of("start app.service", "start setup.service"), Set.copyOf(units.calls));
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.request(JobType.STOP, "setup.service"),
                "only a start is refused");
    }

    @Test
    void refuseManualStopRefusesAStopRequestButNotAStopPulledIn() {
        unit("db.service", "RefuseManualStop=yes");
        unit("app.service", "Conflicts=db.service");
        engine();
        units.given("db.service", Activity.ACTIVE);
        var refused = assertInstanceOf(JobEngine.Outcome.Refused.class, engine.request(JobType.STOP, "db.service"));
        assertEquals("db.service may be stopped only as a dependency of another unit (RefuseManualStop=yes)",
                refused.reason());
        assertTrue(said.contains("db.service: stop refused: " + refused.reason()), said.toString());
        engine.request(JobType.START, "app.service");
        assertTrue(units.calls.contains("stop db.service"), units.calls.toString());
    }

    // ---- propagation of stops and reloads ----

    @Test
    void propagatesStopToStopsTheOtherWithAStopAndWhenTheUnitGoesDownOnItsOwn() {
        unit("app.service", "PropagatesStopTo=worker.service");
        unit("worker.service");
        unit("cleaner.service", "StopPropagatedFrom=app.service");
        unit("idle.service", "StopPropagatedFrom=app.service");
        engine();
        for (String u : List.of("app.service", "worker.service", "cleaner.service")) units.given(u, Activity.ACTIVE);
        engine.enqueue(JobType.STOP, "app.service");
        assertEquals(Set.of("stop app.service", "stop worker.service", "stop cleaner.service"),
                Set.copyOf(units.calls), "idle is down already: no job for it");
        for (String u : List.of("app.service", "worker.service", "cleaner.service")) units.set(u, Activity.INACTIVE);
        assertTrue(engine.jobs().isEmpty());

        units.calls.clear();
        for (String u : List.of("app.service", "worker.service", "cleaner.service")) units.given(u, Activity.ACTIVE);
        units.set("app.service", Activity.FAILED);
        assertEquals(Set.of("stop worker.service", "stop cleaner.service"), Set.copyOf(units.calls));
        assertTrue(said.contains("worker.service: stopping: app.service propagates its stop to it "
                + "(PropagatesStopTo=)"), said.toString());
    }

    @Test
    void aReloadPropagatesToActiveUnitsAndEndsWhenTheReloadDoes() {
        unit("nginx.service", "PropagatesReloadTo=php.service", "PropagatesReloadTo=down.service");
        unit("php.service");
        unit("down.service");
        unit("logs.service", "ReloadPropagatedFrom=nginx.service");
        engine();
        for (String u : List.of("nginx.service", "php.service", "logs.service")) units.given(u, Activity.ACTIVE);
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.RELOAD, "nginx.service"));
        assertEquals(Set.of("reload nginx.service", "reload php.service", "reload logs.service"),
                Set.copyOf(units.calls), "down.service is not active: not reloaded");
        assertEquals(List.of(), finished, "still reloading");
        units.set("nginx.service", Activity.ACTIVE);
        assertEquals(List.of("nginx.service/reload done"), finished);
    }

    @Test
    void aReloadOfAUnitThatIsNotActiveIsRefused() {
        unit("app.service");
        var refused = assertInstanceOf(JobEngine.Outcome.Refused.class, engine().enqueue(JobType.RELOAD,
                "app.service"));
        assertEquals("app.service is not active, so it cannot be reloaded", refused.reason());
        assertEquals(List.of(), units.calls);
    }

    @Test
    void aReloadOrderedAfterAStartWaitsForIt() {
        unit("db.service");
        unit("app.service", "After=db.service");
        engine().enqueue(JobType.START, "db.service");
        units.given("app.service", Activity.ACTIVE);
        engine.enqueue(JobType.RELOAD, "app.service");
        assertEquals(List.of("start db.service"), units.calls, "a reload is ordered as a start");
        units.set("db.service", Activity.ACTIVE);
        assertEquals(List.of("start db.service", "reload app.service"), units.calls);
    }

    @Test
    void tryRestartRestartsOnlyAUnitThatIsUp() {
        unit("app.service");
        var done = assertInstanceOf(JobEngine.Outcome.Queued.class, engine().enqueue(JobType.TRY_RESTART,
                "app.service"));
        assertEquals(JobResult.DONE, done.job().result().orElseThrow(), "nothing to do");
        assertEquals(List.of(), units.calls);
        units.given("app.service", Activity.ACTIVE);
        engine.enqueue(JobType.TRY_RESTART, "app.service");
        units.set("app.service", Activity.INACTIVE);
        assertEquals(List.of("stop (restart) app.service", "start app.service"), units.calls);
    }

    // ---- isolate ----

    @Test
    void isolateStartsTheTargetAndStopsEverythingElseButIgnoreOnIsolate() {
        unit("rescue.target", "AllowIsolate=yes", "Requires=shell.service");
        unit("shell.service");
        unit("web.service");
        unit("db.service");
        unit("logger.service", "IgnoreOnIsolate=yes");
        unit("multi-user.target", "Wants=web.service", "Wants=db.service");
        engine().enqueue(JobType.START, "multi-user.target");
        units.set("web.service", Activity.ACTIVE);
        units.given("logger.service", Activity.ACTIVE);
        units.calls.clear();
        finished.clear();
        assertInstanceOf(JobEngine.Outcome.Queued.class, engine.isolate("rescue.target"));
        assertEquals(Set.of("start shell.service", "stop web.service", "stop db.service"), Set.copyOf(units.calls),
                "db's start job is canceled and its unit stopped; the logger goes on");
        assertTrue(finished.contains("db.service/start canceled"), finished.toString());
        assertEquals(Activity.INACTIVE, engine.activity("multi-user.target"));
        units.set("shell.service", Activity.ACTIVE);
        assertEquals(Activity.ACTIVE, engine.activity("rescue.target"));
    }

    @Test
    void isolateIsRefusedUnlessTheTargetAllowsIt() {
        unit("multi-user.target", "Wants=web.service");
        unit("web.service");
        var refused = assertInstanceOf(JobEngine.Outcome.Refused.class, engine().isolate("multi-user.target"));
        assertEquals("multi-user.target may not be isolated (it does not say AllowIsolate=yes)", refused.reason());
        assertInstanceOf(JobEngine.Outcome.Refused.class, engine.isolate("nosuch.target"));
        assertEquals(List.of(), units.calls);
    }

    // ---- default dependencies ----

    @Test
    void defaultDependenciesGiveServicesAndTargetsSystemdsImplicitEdges() {
        unit("web.service", "DefaultDependencies=yes");
        unit("raw.service");
        unit("multi-user.target", "DefaultDependencies=yes", "Wants=web.service", "Wants=raw.service");
        unit("early.target", "DefaultDependencies=yes", "Wants=web.service", "Before=web.service");
        Graph g = new Graph(DefaultDependencies.apply(nodes));
        assertEquals(Set.of("sysinit.target"), g.forward("web.service", Dependency.REQUIRES));
        assertEquals(Set.of("sysinit.target", "basic.target", "early.target"), g.after("web.service"));
        assertEquals(Set.of("shutdown.target"), g.conflicts("web.service"));
        assertEquals(Set.of("shutdown.target", "multi-user.target"), g.before("web.service"));
        assertEquals(Set.of("web.service"), g.after("multi-user.target"),
                "raw.service has DefaultDependencies=no: the target is not ordered after it");
        assertEquals(Set.of(), g.after("early.target"), "no After= against a Before= written the other way");
        assertEquals(Set.of(), g.after("raw.service"), "DefaultDependencies=no adds nothing");
        for (String standIn : List.of("sysinit.target", "basic.target", "shutdown.target")) {
            Node n = g.node(standIn).orElseThrow();
            assertEquals(Node.Kind.TARGET, n.kind());
            assertTrue(n.edges().isEmpty(), standIn + " stands in empty");
        }
        assertEquals(List.of(), g.orderingCycles());
    }

    @Test
    void aTargetIsNotOrderedAfterAUnitItWantsThatTheUnitsOwnDefaultsOrderAfterIt() {
        // Debian's sysinit.target has default dependencies and wants systemd-pcrphase.service, which has them too:
        // the service's After=sysinit.target must be seen before the target's After= on it is added.
        unit("sysinit.target", "DefaultDependencies=yes", "Wants=pcrphase.service");
        unit("pcrphase.service", "DefaultDependencies=yes");
        Graph g = new Graph(DefaultDependencies.apply(nodes));
        assertEquals(Set.of("sysinit.target", "basic.target"), g.after("pcrphase.service"));
        assertEquals(Set.of(), g.after("sysinit.target"));
        assertEquals(List.of(), g.orderingCycles());
    }

    @Test
    void aLoadedSysinitTargetIsUsedAndNoStandInReplacesIt() {
        unit("sysinit.target", "Wants=early.service");
        unit("early.service");
        unit("web.service", "DefaultDependencies=yes");
        Graph g = new Graph(DefaultDependencies.apply(nodes));
        assertEquals(Set.of("early.service"), g.forward("sysinit.target", Dependency.WANTS));
        assertEquals(1, g.nodes().stream().filter(n -> n.name().equals("sysinit.target")).count());
        engine = new JobEngine(g, units, listener);
        units.engine = engine;
        engine.enqueue(JobType.START, "web.service");
        assertEquals(List.of("start early.service", "start web.service"), units.calls,
                "web starts after sysinit.target, which is at once active: nothing orders it after early");
    }

    @Test
    void withDefaultDependenciesShutdownStillStopsInReverseOrder() {
        unit("db.service", "DefaultDependencies=yes");
        unit("app.service", "DefaultDependencies=yes", "Requires=db.service", "After=db.service");
        unit("web.service", "DefaultDependencies=yes", "Wants=app.service", "After=app.service");
        unit("multi-user.target", "DefaultDependencies=yes", "Wants=web.service", "Wants=db.service");
        engine().enqueue(JobType.START, "multi-user.target");
        assertEquals(List.of("start db.service"), units.calls);
        units.set("db.service", Activity.ACTIVE);
        units.set("app.service", Activity.ACTIVE);
        units.set("web.service", Activity.ACTIVE);
        assertEquals(List.of("start db.service", "start app.service", "start web.service"), units.calls);
        assertEquals(Activity.ACTIVE, engine.activity("multi-user.target"));
        assertEquals(Activity.ACTIVE, engine.activity("sysinit.target"));
        units.calls.clear();
        boolean[] done = {false};
        engine.stopAll(() -> done[0] = true);
        assertEquals(List.of("stop web.service"), units.calls);
        units.set("web.service", Activity.INACTIVE);
        assertEquals(List.of("stop web.service", "stop app.service"), units.calls);
        units.set("app.service", Activity.INACTIVE);
        assertEquals(List.of("stop web.service", "stop app.service", "stop db.service"), units.calls);
        assertFalse(done[0]);
        units.set("db.service", Activity.INACTIVE);
        assertTrue(done[0]);
        assertTrue(engine.jobs().isEmpty());
    }

    @Test
    void startingShutdownTargetStopsEveryServiceWithDefaultDependencies() {
        unit("web.service", "DefaultDependencies=yes");
        unit("raw.service");
        engine();
        units.given("web.service", Activity.ACTIVE);
        units.given("raw.service", Activity.ACTIVE);
        engine.enqueue(JobType.START, "shutdown.target");
        assertEquals(List.of("stop web.service"), units.calls);
        assertEquals(Activity.INACTIVE, engine.activity("shutdown.target"), "it waits for web to stop");
        units.set("web.service", Activity.INACTIVE);
        assertEquals(Activity.ACTIVE, engine.activity("shutdown.target"));
    }
}
