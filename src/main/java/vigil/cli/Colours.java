package vigil.cli;

import java.util.Map;

/**
 * The colours status and list-units use on a terminal, as systemctl does: green for what runs, red for what failed
 * or was refused, yellow for what is on its way. None when the output is not a terminal, when {@code NO_COLOR} is
 * set (no-color.org), or for a dumb terminal.
 */
record Colours(boolean on) {
    private static final String GREEN = "\u001b[0;1;32m", RED = "\u001b[0;1;31m", YELLOW = "\u001b[0;1;33m",
            RESET = "\u001b[0m";

    static final Colours NONE = new Colours(false);

    /** Whether this process's output gets colour, from its environment and whether stdout is a terminal. */
    static Colours forOutput(Map<String, String> environment) {
        if (environment.containsKey("NO_COLOR") || "dumb".equals(environment.get("TERM"))) return NONE;
        java.io.Console console = System.console();
        return new Colours(console != null && console.isTerminal());
    }

    /** {@code text} in the colour of {@code state} (a service's or a unit's active state), padded after it. */
    String state(String state, String text) {
        String colour = colourOf(state);
        return on && colour != null ? colour + text + RESET : text;
    }

    /** The whole line red: a failed or broken unit in a listing. */
    String failed(String line) {
        return on ? RED + line + RESET : line;
    }

    private static String colourOf(String state) {
        return switch (state) {
            case "up", "active", "running", "reloading" -> GREEN;
            case "failed", "refused", "crash-loop", "backoff" -> RED;
            case "starting", "stopping", "activating", "deactivating", "finishing" -> YELLOW;
            default -> null;
        };
    }
}
