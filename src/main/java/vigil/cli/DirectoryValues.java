package vigil.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Stack;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --units DIR...} that stops at the first argument that is not a directory, so that the unit names after
 * it stay parameters: {@code vigil cat --units DIR redis-server.service}. picocli's own {@code 1..*} took every
 * later argument. The first value is always taken, so that a missing directory is reported as such.
 */
final class DirectoryValues implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
        List<Path> values = argSpec.getValue();
        values.add(Path.of(args.pop()));
        while (!args.isEmpty() && !args.peek().startsWith("-") && Files.isDirectory(Path.of(args.peek()))) {
            values.add(Path.of(args.pop()));
        }
    }
}
