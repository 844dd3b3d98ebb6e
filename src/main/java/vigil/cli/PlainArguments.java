package vigil.cli;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Parses a plain command line without picocli, whose start-up (~150 ms) would delay every service of a daemon:
 * {@code --name VALUE}, {@code --name=VALUE}, flags, {@code --} and operands. Anything else (help, a typo, an
 * option picocli knows and this caller does not) makes it give up, and picocli then parses the line and reports
 * what is wrong, so the two never disagree on a valid line.
 */
final class PlainArguments {
    private PlainArguments() {}

    /**
     * Feeds {@code args[from..]} to the consumers; false if something is not plain.
     *
     * @param valued  options that take a value, by name ("--control")
     * @param flags   options without a value
     * @param operand each operand, in order
     */
    static boolean parse(String[] args, int from, Map<String, Consumer<String>> valued, Map<String, Runnable> flags,
                         Consumer<String> operand) {
        boolean options = true;
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            int equals = a.indexOf('=');
            if (!options || !a.startsWith("-")) {
                operand.accept(a);
            } else if (a.equals("--")) {
                options = false;
            } else if (flags.containsKey(a)) {
                flags.get(a).run();
            } else if (valued.containsKey(a) && i + 1 < args.length) {
                valued.get(a).accept(args[++i]);
            } else if (equals > 0 && valued.containsKey(a.substring(0, equals))) {
                valued.get(a.substring(0, equals)).accept(a.substring(equals + 1));
            } else {
                return false;
            }
        }
        return true;
    }
}
