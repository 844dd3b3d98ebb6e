import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Two measurements for bench/control, run as a single-file program:
 *   roundtrip SOCKET N         N status requests over one connection; prints the median and 99th percentile
 *   stopgone  SOCKET VIGIL NAME ROUNDS   start NAME, run "VIGIL stop NAME", then time until its pid is gone
 */
public class ControlBench {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "roundtrip" -> roundTrip(Path.of(args[1]), Integer.parseInt(args[2]));
            case "stopgone" -> stopGone(Path.of(args[1]), args[2], args[3], Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void roundTrip(Path socket, int n) throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            byte[] request = "{\"v\":1,\"cmd\":\"status\",\"names\":[\"web\"]}\n".getBytes(StandardCharsets.UTF_8);
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            long[] nanos = new long[n];
            for (int i = -1000; i < n; i++) {
                long start = System.nanoTime();
                c.write(ByteBuffer.wrap(request));
                in.clear();
                while (in.position() == 0 || in.get(in.position() - 1) != '\n') c.read(in);
                if (i >= 0) nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            System.out.printf("control round trip (status of one service, long-lived client, %d requests): "
                    + "median %.3f ms, p99 %.3f ms%n", n, nanos[n / 2] / 1e6, nanos[n * 99 / 100] / 1e6);
        }
    }

    static void stopGone(Path socket, String vigil, String name, int rounds) throws Exception {
        long[] gone = new long[rounds];
        long[] whole = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            run(socket, vigil, "start", name);
            long pid = Long.parseLong(new String(run(socket, vigil, "status", "--json", name))
                    .replaceAll("(?s).*\"pid\":([0-9]+).*", "$1"));
            long launched = System.nanoTime();
            run(socket, vigil, "stop", name);
            long returned = System.nanoTime();
            while (Files.exists(Path.of("/proc", Long.toString(pid)))) Thread.onSpinWait();
            long end = System.nanoTime();
            gone[r] = end - returned;
            whole[r] = end - launched;
        }
        Arrays.sort(gone);
        Arrays.sort(whole);
        System.out.printf("from \"vigil stop\" returning to the process being gone (%d rounds): median %.3f ms, "
                + "max %.3f ms%n", rounds, gone[rounds / 2] / 1e6, gone[rounds - 1] / 1e6);
        // The whole command too: "stop" waits until the process is reaped, so the figure above is near zero.
        System.out.printf("from running \"vigil stop\" to the process being gone: median %.1f ms, max %.1f ms%n",
                whole[rounds / 2] / 1e6, whole[rounds - 1] / 1e6);
    }

    static byte[] run(Path socket, String vigil, String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = vigil;
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder b = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        b.environment().put("VIGIL_CONTROL", socket.toString());
        Process p = b.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed");
        return out;
    }
}
