package vigil.deps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vigil.unit.Dependency;

/** What the engine tells its listener of each job's life, and what a request returns: the ids and the jobs. */
class JobLifecycleTest {
    private final FakeUnits units = new FakeUnits();
    private final List<String> heard = new ArrayList<>();

    private final JobListener listener = new JobListener() {
        @Override
        public void queued(Job job) {
            heard.add("queued " + job.id() + " " + job);
        }

        @Override
        public void started(Job job) {
            heard.add("started " + job.id() + " " + job);
        }

        @Override
        public void finished(Job job, JobResult result) {
            heard.add("finished " + job.id() + " " + job + " " + result.word());
        }

        @Override
        public void say(String unit, String message) {}
    };

    private JobEngine engine() {
        var app = new Node("app.service", Node.Kind.SERVICE, Map.of(Dependency.REQUIRES, Set.of("db.service"),
                Dependency.AFTER, Set.of("db.service")));
        var db = new Node("db.service", Node.Kind.SERVICE, Map.of());
        JobEngine engine = new JobEngine(new Graph(List.of(app, db)), units, listener);
        units.engine = engine;
        return engine;
    }

    @Test
    void eachJobIsQueuedThenStartedInOrderThenFinishedWithItsOwnId() {
        JobEngine engine = engine();
        engine.enqueue(JobType.START, "app.service");
        assertEquals(List.of("queued 1 app.service/start", "queued 2 db.service/start", "started 2 db.service/start"),
                heard, "app waits for db, so only db's job has started");
        units.set("db.service", Activity.ACTIVE);
        units.set("app.service", Activity.ACTIVE);
        assertEquals(List.of("queued 1 app.service/start", "queued 2 db.service/start", "started 2 db.service/start",
                "finished 2 db.service/start done", "started 1 app.service/start",
                "finished 1 app.service/start done"), heard);
    }

    @Test
    void aRequestReturnsEveryJobOfItsTransactionTheAnchorFirstAndIdsGoOnRising() {
        JobEngine engine = engine();
        var first = assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.START, "app.service"));
        assertEquals(List.of("app.service/start", "db.service/start"),
                first.jobs().stream().map(Job::toString).toList());
        assertEquals(first.job(), first.jobs().getFirst());
        var merged = assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.START, "db.service"));
        assertEquals(List.of(2L), merged.jobs().stream().map(Job::id).toList(), "merged into the installed job");
        units.set("db.service", Activity.ACTIVE);
        units.set("app.service", Activity.ACTIVE);
        var later = assertInstanceOf(JobEngine.Outcome.Queued.class, engine.enqueue(JobType.STOP, "db.service"));
        assertEquals(List.of(3L, 4L), later.jobs().stream().map(Job::id).toList(), "a stop of db and of app");
    }
}
