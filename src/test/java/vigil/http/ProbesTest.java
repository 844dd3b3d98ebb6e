package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProbesTest {
    private static Map<String, Object> dir(String name, String state, String want) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("state", state);
        e.put("want", want);
        return e;
    }

    private static DaemonSnapshot snapshot(boolean settled, List<Map<String, Object>> entries) {
        return new DaemonSnapshot(entries, List.of(), settled, false, 0);
    }

    @Test
    void readyOnlyOnceSettledAndEveryWantedServiceIsUpAndReady() {
        assertFalse(Probes.daemon(snapshot(false, List.of())).ready());
        assertTrue(Probes.daemon(snapshot(true, List.of(dir("web", "up", "up")))).ready());
        Probes.Verdict starting = Probes.daemon(snapshot(true, List.of(dir("web", "starting", "up"))));
        assertFalse(starting.ready());
        assertEquals(List.of("web is starting, not up and ready"), starting.why());
        assertFalse(Probes.daemon(snapshot(true, List.of(dir("web", "backoff", "up")))).ready());
    }

    @Test
    void servicesWantedDownDoNotCount() {
        assertTrue(Probes.daemon(snapshot(true, List.of(dir("web", "up", "up"), dir("idle", "down", "down"))))
                .ready());
    }

    @Test
    void unitsAreReadyActiveAndFinishedOneshotsDoNotHoldReadinessBack() {
        Map<String, Object> nginx = dir("nginx.service", "active", "up");
        nginx.put("unit", true);
        Map<String, Object> setup = dir("setup.service", "inactive", "up");
        setup.put("unit", true);
        setup.put("result", "success");
        assertTrue(Probes.daemon(snapshot(true, List.of(nginx, setup))).ready());
        Map<String, Object> failed = dir("db.service", "failed", "up");
        failed.put("unit", true);
        failed.put("result", "exit-code");
        assertFalse(Probes.daemon(snapshot(true, List.of(nginx, failed))).ready());
    }

    @Test
    void aFailedCriticalServiceIsNamedEvenWhenWantedDown() {
        Map<String, Object> critical = dir("db", "down", "down");
        critical.put("critical", true);
        critical.put("last_exit", Map.of("code", 1L));
        Probes.Verdict verdict = Probes.daemon(snapshot(true, List.of(critical)));
        assertFalse(verdict.ready());
        assertEquals(List.of("critical service db failed"), verdict.why());
    }

    @Test
    void oneServiceByNameOrUnitName() {
        DaemonSnapshot s = snapshot(true, List.of(dir("web", "up", "up"), dir("db", "starting", "up")));
        assertTrue(Probes.service(s, "web").orElseThrow().ready());
        assertFalse(Probes.service(s, "db").orElseThrow().ready());
        assertTrue(Probes.service(s, "nope").isEmpty());
    }
}
