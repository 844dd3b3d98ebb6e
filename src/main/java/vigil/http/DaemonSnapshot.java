package vigil.http;

import java.util.List;
import java.util.Map;

/**
 * The daemon as a few short loop tasks saw it (see {@link LoopBridge#snapshot}): every service's status entry (the
 * control socket's own model, as {@code vigil status --json} has it), the figures the metrics add, and where the
 * daemon is in its life. Taken on request, never kept: an idle daemon does no work for HTTP.
 */
record DaemonSnapshot(List<Map<String, Object>> entries, List<DaemonView.ServiceFacts> facts, boolean settled,
                      boolean stopping, long takenAtMillis) {
}
