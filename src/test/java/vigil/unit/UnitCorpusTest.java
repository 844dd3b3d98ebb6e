package vigil.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loads the unit files of real Debian packages. The packages are fetched with {@code apt-get download} and
 * unpacked with {@code dpkg-deb -x} into {@code target/unit-corpus}: nothing is installed or started, and later
 * runs reuse the unpacked files. Without apt (or without the network) the test is skipped.
 *
 * <p>Writes {@code target/unit-corpus/report.txt}: the counts, and the warnings per directive.
 */
public class UnitCorpusTest {
    /** Debian packages that ship the unit files of systemd, sshd, cron, nginx, redis, PostgreSQL and D-Bus. */
    static final List<String> PACKAGES = List.of("systemd", "udev", "openssh-server", "cron", "nginx-common",
            "redis-server", "postgresql-common", "dbus", "dbus-system-bus-common", "dbus-user-session");

    private static final Path CORPUS = Path.of("target", "unit-corpus");
    private static final Path ROOT = CORPUS.resolve("root");

    /**
     * Fetches and unpacks the packages unless that was done already; skips the calling test (with why) if apt
     * cannot. Shared with the dependency graph's corpus test (vigil.deps.DebianGraphTest).
     */
    @BeforeAll
    public static void unpack() throws IOException, InterruptedException {
        Path done = CORPUS.resolve(".unpacked");
        if (Files.exists(done) && Files.readString(done).equals(String.join(" ", PACKAGES))) return;
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")) && Files.isExecutable(Path.of("/usr/bin/dpkg-deb")),
                "needs apt-get and dpkg-deb");
        Path debs = Files.createDirectories(CORPUS.resolve("debs"));
        var download = new ArrayList<>(List.of("apt-get", "download", "-q"));
        download.addAll(PACKAGES);
        if (run(debs, download) != 0 && "root".equals(System.getProperty("user.name"))) {
            // A fresh machine may have no package lists yet.
            run(debs, List.of("apt-get", "update", "-qq"));
            assumeTrue(run(debs, download) == 0, "apt-get download failed: no network or repository?");
        }
        try (Stream<Path> files = Files.list(debs)) {
            List<Path> packages = files.filter(p -> p.toString().endsWith(".deb")).toList();
            assumeTrue(packages.size() >= PACKAGES.size(), "apt-get download fetched " + packages.size() + " packages");
            for (Path deb : packages) {
                assertEquals(0, run(CORPUS, List.of("dpkg-deb", "-x", deb.toAbsolutePath().toString(),
                        ROOT.toAbsolutePath().toString())), "dpkg-deb -x " + deb);
            }
        }
        Files.writeString(done, String.join(" ", PACKAGES));
    }

    private static int run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("apt.log").toFile()).start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) throw new IOException(command + " timed out");
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    /** The system search path as Debian 12 has it: /etc, then /usr/lib, then /lib. */
    public static List<Path> systemDirs() {
        return Stream.of("etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")
                .map(ROOT::resolve).filter(Files::isDirectory).toList();
    }

    @Test
    void everySystemUnitLoadsWithoutError() throws IOException {
        long start = System.nanoTime();
        UnitVerifier.Report report = UnitVerifier.verify(systemDirs(), TestHosts.system());
        long micros = (System.nanoTime() - start) / 1000;

        var failures = new ArrayList<String>();
        for (UnitResult r : report.results()) {
            if (r instanceof UnitResult.Failed f) {
                failures.add(r.requested() + ": " + f.diagnostics().stream().filter(Diagnostic::isError)
                        .map(Diagnostic::format).toList());
            }
        }
        assertEquals(List.of(), failures);
        long services = report.results().stream().filter(r -> r.requested().endsWith(".service")).count();
        assertTrue(services >= 80, "only " + services + " services in the corpus");
        writeReport("system units", report, micros);
    }

    @Test
    void userUnitsLoadAsAUserManager() throws IOException {
        Path dir = ROOT.resolve("usr/lib/systemd/user");
        assumeTrue(Files.isDirectory(dir), "no user units in the corpus");
        UnitVerifier.Report report = UnitVerifier.verify(List.of(dir),
                TestHosts.user(Map.of("XDG_RUNTIME_DIR", "/run/user/1000")));
        assertEquals(0, report.count(UnitResult.Failed.class), () -> report.diagnostics().toString());
        Unit socket = loaded(report, "dbus.socket");
        assertEquals(new Listen(Listen.Kind.STREAM, new Listen.PathAddress("/run/user/1000/bus")),
                socket.socket().orElseThrow().listens().getFirst());
    }

    @Test
    void wellKnownServicesReadAsTheyShould() throws IOException {
        UnitLoader loader = UnitLoader.scan(systemDirs(), TestHosts.system());

        ServiceSection ssh = service(loader, "ssh.service");
        assertEquals(ServiceSection.Type.NOTIFY, ssh.type());
        assertEquals(ServiceSection.NotifyAccess.MAIN, ssh.notifyAccess());
        assertEquals(ServiceSection.Restart.ON_FAILURE, ssh.restart());
        ExecCommand sshd = ssh.commands(ServiceSection.ExecKind.START).getFirst();
        assertEquals("/usr/sbin/sshd", sshd.executable());
        assertEquals(List.of("/usr/sbin/sshd", "-D", "-o", "Foo bar"),
                sshd.expandArguments(Map.of("SSHD_OPTS", "-o 'Foo bar'")));
        assertEquals(List.of(new ExecContext.EnvironmentFile("/etc/default/ssh", true)),
                ssh.exec().environmentFiles());
        assertEquals(List.of("sshd"), ssh.exec().directories().get(ExecContext.DirectoryKind.RUNTIME));
        assertEquals(0755, ssh.exec().directoryMode(ExecContext.DirectoryKind.RUNTIME));
        UnitResult sshUnit = loader.load("ssh.service");
        assertEquals(List.of("sshd.service"),
                assertInstanceOf(UnitResult.Loaded.class, sshUnit).unit().install().alias());

        ServiceSection nginx = service(loader, "nginx.service");
        assertEquals(ServiceSection.Type.FORKING, nginx.type());
        assertEquals("/run/nginx.pid", nginx.pidFile().orElseThrow());
        assertEquals(List.of("/usr/sbin/nginx", "-g", "daemon on; master_process on;"),
                nginx.commands(ServiceSection.ExecKind.START).getFirst().expandArguments(Map.of()));
        assertTrue(nginx.commands(ServiceSection.ExecKind.STOP).getFirst().ignoreFailure());

        ServiceSection redis = service(loader, "redis-server.service");
        assertEquals(ServiceSection.Type.NOTIFY, redis.type());
        assertEquals(ServiceSection.Restart.ALWAYS, redis.restart());
        assertEquals("redis", redis.exec().user().orElseThrow());
        assertEquals(new ResourceLimit(65535, 65535), redis.exec().limits().get(ResourceLimit.Resource.NOFILE));

        ServiceSection cron = service(loader, "cron.service");
        assertEquals(new ExecCommand.SplitVariable("EXTRA_OPTS"),
                cron.commands(ServiceSection.ExecKind.START).getFirst().argv().get(2));

        UnitResult pg = loader.load("postgresql@15-main.service");
        Unit postgres = assertInstanceOf(UnitResult.Loaded.class, pg, () -> pg.diagnostics().toString()).unit();
        assertEquals(List.of("/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15-main", "start"),
                postgres.service().orElseThrow().commands(ServiceSection.ExecKind.START).getFirst()
                        .expandArguments(Map.of()));

        ServiceSection dbus = service(loader, "dbus.service");
        assertEquals(ServiceSection.Type.NOTIFY, dbus.type());
        assertEquals(1, dbus.commands(ServiceSection.ExecKind.RELOAD).size());

        UnitResult getty = loader.load("autovt@tty3.service");
        Unit tty3 = assertInstanceOf(UnitResult.Loaded.class, getty).unit();
        assertEquals("getty@tty3.service", tty3.name().toString());
        assertTrue(tty3.file().aliases().contains("autovt@tty3.service"));
    }

    private static ServiceSection service(UnitLoader loader, String name) {
        UnitResult r = loader.load(name);
        return assertInstanceOf(UnitResult.Loaded.class, r, () -> r.diagnostics().toString()).unit().service()
                .orElseThrow();
    }

    private static Unit loaded(UnitVerifier.Report report, String name) {
        return report.results().stream().filter(r -> r.requested().equals(name))
                .map(r -> assertInstanceOf(UnitResult.Loaded.class, r).unit()).findFirst().orElseThrow();
    }

    private static void writeReport(String title, UnitVerifier.Report report, long micros) throws IOException {
        var out = new StringBuilder();
        out.append(title).append(": ").append(report.results().size()).append(" units, ")
                .append(report.count(UnitResult.Loaded.class)).append(" loaded, ")
                .append(report.count(UnitResult.Failed.class)).append(" failed; ")
                .append(report.errors()).append(" errors, ").append(report.warnings()).append(" warnings; loaded in ")
                .append(micros / 1000).append(" ms (one cold JVM, first run)\n");
        for (Diagnostic.Kind kind : List.of(Diagnostic.Kind.IGNORED_DIRECTIVE, Diagnostic.Kind.UNKNOWN_DIRECTIVE,
                Diagnostic.Kind.UNKNOWN_SECTION, Diagnostic.Kind.UNIT)) {
            Map<String, Integer> counts = report.warningsByKey(kind);
            out.append(kind).append(": ").append(counts.values().stream().mapToInt(Integer::intValue).sum())
                    .append('\n');
            counts.forEach((k, v) -> out.append("  ").append(k.isEmpty() ? "(unit)" : k).append(' ').append(v)
                    .append('\n'));
        }
        Files.writeString(CORPUS.resolve("report.txt"), out);
        System.out.print(out);
    }
}
