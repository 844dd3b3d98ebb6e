package vigil.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import vigil.init.OneCommand;
import vigil.os.Children;
import vigil.os.Namespaces;
import vigil.os.OsException;

@Command(name = "run",
        description = {"Run one command under a minimal init, as a container's entry point (as tini does): the "
                + "command gets a process group of its own, HUP, INT, TERM, USR1, USR2, WINCH, CONT, ALRM and PWR "
                + "are passed on to that group, every orphan is reaped, and the exit code is the command's (128 + "
                + "the signal, if one killed it).",
                "Example: vigil run -- nginx -g 'daemon off;'"})
final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command and its arguments (after --)")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        if (Children.getpid() == 1 && Namespaces.inInitialPidNamespace()) {
            // Its exit would panic the kernel.
            System.err.println("vigil run: not as the machine's PID 1; use vigil init");
            return 2;
        }
        try {
            return OneCommand.run(command, System.getenv());
        } catch (OsException e) {
            System.err.println("vigil run: " + e.getMessage());
            return 1;
        }
    }
}
