package vigil.cli;

import picocli.CommandLine.Command;

@Command(name = "version", description = "Print Vigil's version.")
final class VersionCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("vigil " + Main.version());
    }
}
