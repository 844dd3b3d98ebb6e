package vigil.unit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code EnvironmentFile=} text as systemd does: {@code KEY=VALUE} lines; {@code #} and {@code ;} comment
 * lines; blank lines; a trailing backslash joins the next line; values may be wholly single-quoted (literal) or
 * double-quoted (with {@code \"}, {@code \\}, {@code \$} and {@code \`} escapes); an {@code export } prefix is
 * allowed. Lines that are no assignment are skipped, as systemd skips them.
 */
public final class EnvironmentFiles {
    private EnvironmentFiles() {}

    public static Map<String, String> parse(String text) {
        var out = new LinkedHashMap<String, String>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            StringBuilder line = new StringBuilder(lines[i]);
            while (line.toString().endsWith("\\") && i + 1 < lines.length) {
                line.setLength(line.length() - 1);
                line.append(lines[++i]);
            }
            String l = line.toString().strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) continue;
            if (l.startsWith("export ")) l = l.substring(7).strip();
            int eq = l.indexOf('=');
            if (eq <= 0) continue;
            String key = l.substring(0, eq).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            out.put(key, value(l.substring(eq + 1).strip()));
        }
        return out;
    }

    private static String value(String v) {
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) return v.substring(1, v.length() - 1);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            var s = new StringBuilder();
            String inner = v.substring(1, v.length() - 1);
            for (int i = 0; i < inner.length(); i++) {
                char c = inner.charAt(i);
                if (c == '\\' && i + 1 < inner.length() && "\"\\$`".indexOf(inner.charAt(i + 1)) >= 0) {
                    c = inner.charAt(++i);
                }
                s.append(c);
            }
            return s.toString();
        }
        return v;
    }
}
