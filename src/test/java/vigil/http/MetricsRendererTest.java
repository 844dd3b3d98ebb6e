package vigil.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import vigil.loop.TurnMeter;

class MetricsRendererTest {
    private static final MetricsRenderer.Counters COUNTERS = new MetricsRenderer.Counters(
            new TurnMeter.Reading(new long[TurnMeter.BOUNDS_SECONDS.length + 1], 0), 7, 1, 3, 2, 40, 0);

    private static DaemonSnapshot snapshot() {
        Map<String, Object> web = new LinkedHashMap<>();
        web.put("name", "we\"b\\x\n");
        web.put("state", "up");
        web.put("pid", 42L);
        web.put("want", "up");
        web.put("elapsed_ms", 1500L);
        web.put("restarts", 4L);
        web.put("last_exit", Map.of("signal", "SIGKILL"));
        return new DaemonSnapshot(List.of(web),
                List.of(new DaemonView.ServiceFacts("we\"b\\x\n", Optional.empty(), 1234, 56)), true, false,
                100_000);
    }

    @Test
    void labelValuesAreEscaped() {
        String text = MetricsRenderer.render(snapshot(), COUNTERS, false);
        assertTrue(text.contains("vigil_service_restarts_total{service=\"we\\\"b\\\\x\\n\"} 4\n"), text);
    }

    @Test
    void textFormatNamesCounterFamiliesWithTotalAndOpenMetricsWithout() {
        String text = MetricsRenderer.render(snapshot(), COUNTERS, false);
        assertTrue(text.contains("# TYPE vigil_spawns_total counter\nvigil_spawns_total 7\n"), text);
        assertFalse(text.contains("# EOF"));
        String open = MetricsRenderer.render(snapshot(), COUNTERS, true);
        assertTrue(open.contains("# TYPE vigil_spawns counter\nvigil_spawns_total 7\n"), open);
        assertTrue(open.contains("# UNIT vigil_service_log_bytes bytes\n"), open);
        assertTrue(open.endsWith("# EOF\n"), open);
    }

    @Test
    void perServiceFigures() {
        String text = MetricsRenderer.render(snapshot(), COUNTERS, false);
        String label = "{service=\"we\\\"b\\\\x\\n\"}";
        assertTrue(text.contains("vigil_service_start_time_seconds" + label + " 98.5\n"), text);
        assertTrue(text.contains("vigil_service_log_bytes_total" + label + " 1234\n"), text);
        assertTrue(text.contains("vigil_service_log_lines_total" + label + " 56\n"), text);
        assertTrue(text.contains("vigil_service_last_exit_signal{service=\"we\\\"b\\\\x\\n\",signal=\"SIGKILL\"} 1\n"),
                text);
        assertTrue(text.contains("vigil_services{state=\"up\"} 1\n"), text);
        assertTrue(text.contains("vigil_event_subscribers_dropped_total 2\n"), text);
    }

    @Test
    void histogramBucketsAreCumulativeWithCountAndSum() {
        long[] counts = new long[TurnMeter.BOUNDS_SECONDS.length + 1];
        counts[0] = 3;
        counts[5] = 2;
        counts[counts.length - 1] = 1;
        MetricsRenderer.Counters c = new MetricsRenderer.Counters(new TurnMeter.Reading(counts, 1.25), 0, 0, 0, 0,
                0, 0);
        String text = MetricsRenderer.render(snapshot(), c, false);
        assertTrue(text.contains("vigil_loop_turn_seconds_bucket{le=\"0.00001\"} 3\n"), text);
        assertTrue(text.contains("vigil_loop_turn_seconds_bucket{le=\"0.001\"} 5\n"), text);
        assertTrue(text.contains("vigil_loop_turn_seconds_bucket{le=\"1\"} 5\n"), text);
        assertTrue(text.contains("vigil_loop_turn_seconds_bucket{le=\"+Inf\"} 6\n"), text);
        assertTrue(text.contains("vigil_loop_turn_seconds_count 6\nvigil_loop_turn_seconds_sum 1.25\n"), text);
    }

    @Test
    void openMetricsIsAskedForByAccept() {
        assertTrue(MetricsRenderer.wantsOpenMetrics(Optional.of("application/openmetrics-text;version=1.0.0")));
        assertFalse(MetricsRenderer.wantsOpenMetrics(Optional.of("text/plain")));
        assertEquals(false, MetricsRenderer.wantsOpenMetrics(Optional.empty()));
    }
}
