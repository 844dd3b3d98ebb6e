package vigil.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import vigil.control.ControlClient;

/** The daemon's {@code units} reply, which list-units, list-dependencies, show, is-active and is-failed read. */
final class UnitEntries {
    private UnitEntries() {}

    /** Every node of the daemon's graph (then the missing units named), or the named ones in order. */
    static List<Map<String, Object>> fetch(ControlClient client, List<String> names)
            throws IOException, ClientCommand.Failed {
        Map<String, Object> request = client.request("units");
        if (!names.isEmpty()) request.put("names", names);
        Map<String, Object> reply = ClientCommand.expectOk(client, request);
        List<Map<String, Object>> out = new ArrayList<>();
        if (reply.get("units") instanceof List<?> units) {
            for (Object u : units) {
                @SuppressWarnings("unchecked")
                Map<String, Object> entry = (Map<String, Object>) u;
                out.add(entry);
            }
        }
        return out;
    }

    static String text(Map<String, Object> entry, String key) {
        Object v = entry.get(key);
        if (v instanceof Double d && d == Math.rint(d)) return Long.toString(d.longValue());
        return v == null ? "" : String.valueOf(v);
    }

    /** The names a dependency property lists. */
    static List<String> dependencies(Map<String, Object> entry, String property) {
        if (!(entry.get("dependencies") instanceof Map<?, ?> deps)) return List.of();
        if (!(deps.get(property) instanceof List<?> names)) return List.of();
        return names.stream().map(String::valueOf).toList();
    }

    /** A table with columns as wide as their widest cell, separated by one space; the last is not padded. */
    static List<String> table(List<List<String>> rows, boolean firstRightAligned) {
        int columns = rows.isEmpty() ? 0 : rows.getFirst().size();
        int[] width = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) width[c] = Math.max(width[c], row.get(c).length());
        }
        List<String> out = new ArrayList<>();
        for (List<String> row : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                String cell = row.get(c);
                if (c > 0) b.append(' ');
                boolean right = c == 0 && firstRightAligned;
                if (right) b.repeat(' ', width[c] - cell.length());
                b.append(cell);
                if (!right && c < columns - 1) b.repeat(' ', width[c] - cell.length());
            }
            out.add(b.toString());
        }
        return out;
    }
}
