package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecSpecTest {
    private static ExecSpec.Builder run() {
        return ExecSpec.builder(Path.of("./run"), List.of("run", "a b"));
    }

    @Test
    void bareSpecRendersOnlyTheProgram() {
        assertEquals(List.of("--", "./run", "run", "a b"), run().build().helperArguments());
    }

    @Test
    void everyKeyRendersInTheHelpersSyntax() {
        ExecSpec spec = run().fd(1, 9).fd(3, 1).newSession(true).chroot(Path.of("/srv/root"))
                .workingDirectory(Path.of("/app")).umask(022).nice(-5).oomScoreAdj(-900)
                .rlimit(ExecSpec.Rlimit.NOFILE, 1024, ExecSpec.Rlimit.INFINITY).rlimit(ExecSpec.Rlimit.CORE, 0, 0)
                .groups(List.of(100, 65534)).gid(65534).uid(-2).noNewPrivileges(true).listenPid(true).build();
        assertEquals(List.of("fd=1:9", "fd=3:1", "setsid=1", "chroot=/srv/root", "cwd=/app", "umask=22", "nice=-5",
                "oom=-900", "rlimit=nofile:1024:inf", "rlimit=core:0:0", "groups=100,65534", "gid=65534",
                "uid=4294967294", "nonewprivs=1", "listen-pid=1", "--", "./run", "run", "a b"),
                spec.helperArguments());
    }

    @Test
    void emptyGroupsClearThem() {
        assertEquals(List.of("groups=", "--", "./run", "run", "a b"),
                run().groups(List.of()).build().helperArguments());
    }

    @Test
    void laterMappingOfATargetWins() {
        assertEquals(List.of(new ExecSpec.FdMapping(1, 7)), run().fd(1, 5).fd(1, 7).build().fds());
    }

    @Test
    void environmentBecomesNameValueStrings() {
        ExecSpec spec = run().environment(Map.of("A", "1", "B", "x=y")).build();
        assertEquals(List.of("A=1", "B=x=y"), spec.environmentEntries().stream().sorted().toList());
    }

    @Test
    void rejectsWhatCannotBePassed() {
        assertThrows(IllegalArgumentException.class, () -> run().environment(Map.of("A=B", "1")).build());
        assertThrows(IllegalArgumentException.class, () -> run().environment(Map.of("A", "nul\0")).build());
        assertThrows(IllegalArgumentException.class,
                () -> ExecSpec.builder(Path.of("./run"), List.of("run\0")).build());
        assertThrows(IllegalArgumentException.class, () -> ExecSpec.builder(Path.of("./run"), List.of()).build());
        assertThrows(IllegalArgumentException.class, () -> run().nice(20).build());
        assertThrows(IllegalArgumentException.class, () -> run().umask(01000).build());
        assertThrows(IllegalArgumentException.class, () -> run().fd(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> run().rlimit(16, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> run().pidVariables(List.of("A=B")).build());
        var twice = List.of(new ExecSpec.FdMapping(4, 5), new ExecSpec.FdMapping(4, 6));
        ExecSpec ok = run().build();
        assertThrows(IllegalArgumentException.class, () -> new ExecSpec(ok.program(), ok.argv(), ok.environment(),
                twice, false, ok.chroot(), ok.workingDirectory(), ok.umask(), ok.nice(), ok.oomScoreAdj(),
                ok.rlimits(), ok.groups(), ok.gid(), ok.uid(), false, false, List.of(), Optional.empty(), List.of(),
                ExecSpec.Capabilities.NONE));
    }
}
