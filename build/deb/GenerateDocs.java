import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes, from Vigil's picocli model, the AsciiDoc of a man page for vigil and each subcommand, and the bash
 * completion script, so that the pages and the completion never drift from the options. Run by build/deb/build with
 * the source launcher:  java -cp vigil.jar:picocli.jar:picocli-codegen.jar GenerateDocs.java ADOC_DIR COMPLETION_FILE
 */
public class GenerateDocs {
    public static void main(String[] args) throws Exception {
        // The whole model, every subcommand added, as vigil builds it for a command line it cannot narrow down.
        // Reflection, because RootCommand is package-private and this file runs in a class loader of its own.
        Method model = Class.forName("vigil.cli.RootCommand").getDeclaredMethod("commandLine", String[].class);
        model.setAccessible(true);
        CommandLine vigil = (CommandLine) model.invoke(null, (Object) new String[0]);

        File adoc = new File(args[0]);
        adoc.mkdirs();
        int written = ManPageGenerator.generateManPage(adoc, null, new boolean[0], true, vigil.getCommandSpec());
        if (written != 0) throw new IllegalStateException("ManPageGenerator failed: " + written);
        Files.writeString(Path.of(args[1]), AutoComplete.bash("vigil", vigil));
    }
}
