package vigil.unit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One command of an {@code Exec*=} line, parsed, with specifiers already expanded but environment variables kept
 * for the runtime: it expands them with {@link #expandArguments} just before exec, against the unit's environment
 * plus {@code $MAINPID}, {@code $SERVICE_RESULT} and the like.
 *
 * @param executable    an absolute path, or a bare file name to look up in the fixed search path
 * @param argv          the arguments, argv[0] included (the executable, unless the {@code @} prefix gave another)
 * @param ignoreFailure {@code -}: a failure (non-zero exit, missing file) counts as success
 * @param expandVariables false with the {@code :} prefix: every {@code $} stays literal
 * @param privileges    the {@code +}, {@code !} or {@code !!} prefix
 */
public record ExecCommand(String executable, List<Argument> argv, boolean ignoreFailure, boolean expandVariables,
                          Privileges privileges) {
    /** How far the unit's credentials and sandboxing apply to this command. */
    public enum Privileges {
        /** No prefix: User=, Group= and the rest apply. */
        DEFAULT,
        /** {@code +}: runs with full privileges; User=, Group= and sandboxing are skipped. */
        FULL,
        /** {@code !}: everything applies except the switch to User= and Group=. */
        NO_SETUID,
        /** {@code !!}: like {@code !}, but only on systems without ambient capabilities; elsewhere like none. */
        AMBIENT_FALLBACK
    }

    public ExecCommand {
        Objects.requireNonNull(executable, "executable");
        argv = List.copyOf(argv);
        Objects.requireNonNull(privileges, "privileges");
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must hold argv[0]");
    }

    /** One argument as written, before environment variables are expanded. */
    public sealed interface Argument {
        /** Appends what this argument becomes with {@code env}; unset variables count as empty. */
        void expand(Map<String, String> env, List<String> out);

        /** As it was written (after unquoting), for display. */
        String display();
    }

    /** Plain text: no variables in it, or the command has the {@code :} prefix. */
    public record Literal(String text) implements Argument {
        @Override
        public void expand(Map<String, String> env, List<String> out) {
            out.add(text);
        }

        @Override
        public String display() {
            return text;
        }
    }

    /** {@code $NAME} as a whole word: the value split at blanks (quotes group), zero or more arguments. */
    public record SplitVariable(String name) implements Argument {
        @Override
        public void expand(Map<String, String> env, List<String> out) {
            String value = env.get(name);
            if (value != null) out.addAll(Words.splitRelaxed(value));
        }

        @Override
        public String display() {
            return "$" + name;
        }
    }

    /** Text with {@code ${NAME}} references in it: always exactly one argument, the values inserted as they are. */
    public record Interpolated(List<Part> parts) implements Argument {
        public Interpolated {
            parts = List.copyOf(parts);
        }

        @Override
        public void expand(Map<String, String> env, List<String> out) {
            var s = new StringBuilder();
            for (Part p : parts) {
                switch (p) {
                    case Text t -> s.append(t.text());
                    case Variable v -> s.append(env.getOrDefault(v.name(), ""));
                }
            }
            out.add(s.toString());
        }

        @Override
        public String display() {
            return parts.stream().map(p -> switch (p) {
                case Text t -> t.text().replace("$", "$$");
                case Variable v -> "${" + v.name() + "}";
            }).collect(Collectors.joining());
        }
    }

    /** A piece of an {@link Interpolated} argument. */
    public sealed interface Part {}

    /** Literal text inside an {@link Interpolated} argument. */
    public record Text(String text) implements Part {}

    /** {@code ${NAME}} inside an {@link Interpolated} argument. */
    public record Variable(String name) implements Part {}

    /** The argv the runtime passes to execve, with every variable expanded from {@code env}. */
    public List<String> expandArguments(Map<String, String> env) {
        var out = new ArrayList<String>(argv.size() + 4);
        for (Argument a : argv) a.expand(env, out);
        return out;
    }

    /** Every variable name the arguments refer to. */
    public List<String> variables() {
        var names = new ArrayList<String>();
        for (Argument a : argv) {
            switch (a) {
                case SplitVariable s -> names.add(s.name());
                case Interpolated i -> i.parts().forEach(p -> {
                    if (p instanceof Variable v) names.add(v.name());
                });
                case Literal l -> { }
            }
        }
        return names;
    }

    /** The command as one line, with its prefixes, for messages. */
    public String display() {
        String prefix = (ignoreFailure ? "-" : "") + (expandVariables ? "" : ":") + switch (privileges) {
            case DEFAULT -> "";
            case FULL -> "+";
            case NO_SETUID -> "!";
            case AMBIENT_FALLBACK -> "!!";
        };
        String args = argv.stream().map(Argument::display).collect(Collectors.joining(" "));
        String first = argv.getFirst().display();
        return first.equals(executable) ? prefix + args : prefix + "@" + executable + " " + args;
    }
}
