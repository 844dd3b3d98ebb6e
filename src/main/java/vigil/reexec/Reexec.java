package vigil.reexec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import vigil.os.Exec;
import vigil.os.Fds;
import vigil.os.OsException;
import vigil.os.Signals;

/**
 * The exec of {@code daemon-reexec}, and the new daemon's first read: the state goes in an anonymous file, every
 * fd but the handed-over ones is made close-on-exec, and the JVM runs its own command line again (through the
 * jar's path, so a jar a build put in place since is the one that runs), with {@code --reexec-state=FD} after
 * the subcommand.
 */
public final class Reexec {
    /** The option that tells a new daemon where its state is. */
    public static final String OPTION = "--reexec-state";

    private Reexec() {}

    /**
     * Execs the JVM anew with {@code handover}; returns only by throwing, after putting back what it changed: then
     * the old daemon goes on as it was.
     */
    public static void exec(Handover handover) throws IOException {
        List<String> argv = withState(commandLine(), -1);
        byte[] state = HandoverCodec.encode(handover).getBytes(StandardCharsets.UTF_8);
        int memfd = Exec.memoryFile("vigil-reexec-state", state);
        List<Integer> cleared = List.of();
        try {
            Set<Integer> keep = new HashSet<>(handover.fds());
            keep.add(memfd);
            cleared = Exec.keepOnly(keep);
            // The launcher starts the JVM with SIGCHLD alone blocked (vigil-exec block=17): the same again.
            Exec.execve(argv.getFirst(), withState(argv, memfd), System.getenv(), 1L << (Signals.SIGCHLD - 1));
        } finally {
            Exec.restoreCloseOnExec(cleared);
            Fds.close(memfd);
        }
    }

    /** The JVM's command line, from /proc/self/cmdline. */
    static List<String> commandLine() throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != 0) continue;
            args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
            start = i + 1;
        }
        return args;
    }

    /**
     * {@code cmdline} with {@code --reexec-state=FD} right after the subcommand (which follows {@code -jar JAR}),
     * and without the one an earlier re-exec put there; with {@code fd} -1, without any.
     *
     * @throws IOException if the JVM was not started as the launcher starts it ({@code java ... -jar JAR daemon})
     */
    static List<String> withState(List<String> cmdline, int fd) throws IOException {
        int jar = cmdline.indexOf("-jar");
        if (jar < 1 || jar + 2 >= cmdline.size()) {
            throw new IOException("cannot re-exec: this JVM was not started with -jar (its command line is "
                    + String.join(" ", cmdline) + ")");
        }
        String subcommand = cmdline.get(jar + 2);
        if (!subcommand.equals("daemon") && !subcommand.equals("init")) {
            throw new IOException("cannot re-exec: this JVM runs vigil " + subcommand + ", not daemon or init");
        }
        List<String> out = new ArrayList<>(cmdline.subList(0, jar + 3));
        if (fd >= 0) out.add(OPTION + "=" + fd);
        for (String arg : cmdline.subList(jar + 3, cmdline.size())) {
            if (!arg.startsWith(OPTION + "=")) out.add(arg);
        }
        return out;
    }

    /** The new daemon's side: reads and closes the state an old daemon left at {@code fd}. */
    public static Handover read(int fd) throws IOException, HandoverCodec.MalformedException {
        try {
            String text = Files.readString(Path.of("/proc/self/fd", Integer.toString(fd)));
            return HandoverCodec.decode(text);
        } finally {
            Fds.close(fd);
        }
    }

    /** The new daemon takes each handed-over fd as its own: close-on-exec again, as every fd Vigil holds is. */
    public static void adoptFds(Handover handover) throws OsException {
        for (int fd : handover.fds()) Fds.setCloseOnExec(fd, true);
    }
}
