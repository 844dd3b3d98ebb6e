package vigil.service;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One sd_notify datagram, split into its fields (sd_notify(3)): newline-separated {@code KEY=VALUE} lines, the last
 * value of a key winning. A line without '=' or with an empty key is skipped, as systemd skips it. Pure: what the
 * fields mean is {@link UnitService#notify}'s business.
 *
 * @param fields the fields in the order they came
 */
public record NotifyMessage(Map<String, String> fields) {
    public NotifyMessage {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static NotifyMessage parse(String datagram) {
        var fields = new LinkedHashMap<String, String>();
        int start = 0;
        while (start <= datagram.length()) {
            int end = datagram.indexOf('\n', start);
            if (end < 0) end = datagram.length();
            int eq = datagram.indexOf('=', start, end);
            if (eq > start) fields.put(datagram.substring(start, eq), datagram.substring(eq + 1, end));
            start = end + 1;
        }
        return new NotifyMessage(fields);
    }

    /**
     * Nothing to act on: no field, or only {@code BARRIER=1}, whose one effect (closing the fd it came with) is
     * done by the time it is read.
     */
    public boolean isEmpty() {
        return fields.isEmpty() || fields.keySet().equals(Set.of("BARRIER"));
    }
}
