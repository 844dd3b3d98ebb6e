package vigil.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vigil.model.DirectorySpec;
import vigil.os.OsException;
import vigil.service.Clock;
import vigil.testing.Await;
import vigil.testing.LoopThread;
import vigil.testing.ServiceDirs;
import vigil.unit.UnitName;

/** A tree on a real event loop and inotify, with a host that records what it is asked and can fail like a bug. */
class ServiceTreeTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path root;

    private final LoopThread loop = new LoopThread("tree-loop");
    /** What the host supervises, by name, in the order added; as the daemon's, a name is held at most once. */
    private final Map<String, Path> running = Collections.synchronizedMap(new LinkedHashMap<>());
    /** The host's calls, in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> said = new CopyOnWriteArrayList<>();
    /** The service whose add throws, as a bug in the supervisor would. */
    private volatile String buggy = "";
    private ServiceTree tree;

    ServiceTreeTest() throws OsException {}

    @AfterEach
    void stop() throws Exception {
        loop.call(() -> {
            if (tree != null) tree.close();
            return null;
        });
        loop.close();
        assertEquals(List.of(), loop.errors(), "nothing escaped to the loop");
    }

    /** Starts the tree on the loop; the future completes when its first scan has loaded every entry. */
    private CompletableFuture<Void> startTree() throws Exception {
        CompletableFuture<Void> scanned = new CompletableFuture<>();
        loop.call(() -> {
            Clock clock = new Clock() {
                @Override
                public long nanoTime() {
                    return System.nanoTime();
                }

                @Override
                public Timer schedule(Duration delay, Runnable task) {
                    return loop.loop().schedule(delay, task)::cancel;
                }
            };
            DirectoryWatcher watcher = new DirectoryWatcher(loop.loop());
            tree = new ServiceTree(root, watcher, new ServiceHost() {
                @Override
                public void add(DirectorySpec spec) throws CannotSupervise {
                    calls.add("add " + spec.name());
                    if (spec.name().equals(buggy)) throw new IllegalStateException("a bug in add");
                    if (running.containsKey(spec.name())) throw new CannotSupervise("the name is taken", false);
                    running.put(spec.name(), spec.directory());
                }

                @Override
                public void remove(String name) {
                    calls.add("remove " + name);
                    running.remove(name);
                }

                @Override
                public void unitFilesChanged() {
                    calls.add("unit files changed");
                }

                @Override
                public void rename(String from, DirectorySpec renamed) throws CannotSupervise {
                    calls.add("rename " + from + " -> " + renamed.name());
                    if (running.containsKey(renamed.name())) {
                        throw new CannotSupervise("its new name is taken", false);
                    }
                    running.remove(from);
                    running.put(renamed.name(), renamed.directory());
                }
            }, clock, Map.of(), (name, message) -> said.add(name + ": " + message));
            tree.start(() -> scanned.complete(null));
            return null;
        });
        return scanned;
    }

    @Test
    void aBugWhileLoadingOneServiceCostsOnlyThatService() throws Exception {
        for (String name : List.of("a", "b", "c")) ServiceDirs.service(root, name, "exec sleep 100");
        buggy = "b";

        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals(List.of("a", "c"), names(), "the services after the failing one still load");
        assertEquals(List.of("b: cannot be supervised: internal error: java.lang.IllegalStateException: a bug in add"),
                said);
    }

    @Test
    void theFailedServiceIsLoadedAgainWhenItsDirectoryChanges() throws Exception {
        ServiceDirs.service(root, "b", "exec sleep 100");
        buggy = "b";
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(List.of(), names());

        buggy = "";
        Files.writeString(root.resolve("b/down"), "");
        Await.until("b loaded after its directory changed", WAIT, () -> names().equals(List.of("b")));
    }

    @Test
    void aUnitFileWrittenIntoTheTreeAsksForTheUnitsToBeReadAgain() throws Exception {
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Files.writeString(root.resolve("notes.txt"), "not a unit\n");
        Files.writeString(root.resolve("web.service"), "[Service]\nExecStart=/bin/sleep 100\n");
        Await.until("the unit file seen", WAIT, () -> calls.contains("unit files changed"));
        assertEquals(List.of(), names(), "a unit file is no service directory");

        calls.clear();
        Files.createDirectory(root.resolve("multi-user.target.wants"));
        Await.until("a .wants directory seen", WAIT, () -> calls.contains("unit files changed"));
    }

    @Test
    void otherFilesInTheTreeAreNoUnitFiles() {
        for (String entry : List.of("web.service", "web@.service", "a.socket", "multi-user.target.wants",
                "web.service.d", "web.service.requires")) {
            assertTrue(UnitName.isUnitEntry(entry), entry);
        }
        for (String entry : List.of("web", "notes.txt", ".service", "web.wants", "web.service~", "x.d")) {
            assertFalse(UnitName.isUnitEntry(entry), entry);
        }
    }

    @Test
    void servicesAddedLaterAreStillLoadedAfterABug() throws Exception {
        ServiceDirs.service(root, "b", "exec sleep 100");
        buggy = "b";
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        ServiceDirs.service(root, "d", "exec sleep 100");
        Await.until("d loaded", WAIT, () -> names().equals(List.of("d")));
    }

    private List<String> names() {
        synchronized (running) {
            return List.copyOf(running.keySet());
        }
    }

    /** A service directory marked with its own id, to tell which directory a name holds after moves. */
    private void service(String name, String id) throws IOException {
        ServiceDirs.service(root, name, "exec sleep 100");
        Files.writeString(root.resolve(name).resolve("id"), id);
    }

    private String idOf(String name) throws IOException {
        return Files.readString(running.get(name).resolve("id"));
    }

    /** Moves entries of the root while the loop is busy, so that the tree reads all their events at once. */
    private void moveAtOnce(String... fromTo) throws Exception {
        loop.call(() -> {
            for (int i = 0; i < fromTo.length; i += 2) Files.move(root.resolve(fromTo[i]), root.resolve(fromTo[i + 1]));
            return null;
        });
    }

    @Test
    void aDeploySwapRenamesBothServicesWithoutRestartingEither() throws Exception {
        service("web", "old");
        service("web.new", "new");
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        calls.clear();

        moveAtOnce("web", "web.old", "web.new", "web");

        Await.until("both renamed", WAIT, () -> calls.size() == 2);
        assertEquals(List.of("rename web -> web.old", "rename web.new -> web"), calls, "the name is freed first");
        assertEquals("new", idOf("web"));
        assertEquals("old", idOf("web.old"));
    }

    @Test
    void servicesWhoseNamesAreSwappedRestartUnderTheirNewNames() throws Exception {
        service("a", "A");
        service("b", "B");
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        calls.clear();

        moveAtOnce("a", ".swap", "b", "a", ".swap", "b");

        Await.until("both started again", WAIT, () -> calls.size() == 4);
        assertEquals(List.of("remove a", "remove b"), calls.subList(0, 2).stream().sorted().toList(),
                "both stop before either starts: " + calls);
        assertEquals("B", idOf("a"));
        assertEquals("A", idOf("b"));
        assertTrue(said.contains("a: renamed from b, but its new name was another's, renamed at the same time: "
                + "restarting under the new name"), said.toString());
    }

    @Test
    void aServiceRenamedToANameTakenElsewhereStopsAndSaysWhy() throws Exception {
        service("web", "W");
        running.put("api", root.resolveSibling("another-tree").resolve("api"));
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        calls.clear();

        moveAtOnce("web", "api");

        Await.until("the new name refused", WAIT, () -> calls.size() == 3);
        assertEquals(List.of("rename web -> api", "remove web", "add api"), calls);
        assertEquals(List.of("api"), names());
        assertTrue(said.contains("api: renamed from web, but its new name is taken: restarting under the new name"),
                said.toString());
        assertTrue(said.contains("api: the name is taken"), said.toString());
    }

    @Test
    void aServiceWhoseNameIsTakenElsewhereIsRefusedOnceAndWaitsForAChange() throws Exception {
        running.put("web", root.resolveSibling("another-tree").resolve("web"));
        service("web", "W");

        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertEquals(List.of("add web"), calls, "asked once, not again and again");
        assertEquals(List.of("web: the name is taken"), said);
        running.remove("web");
        Files.writeString(root.resolve("web/down"), "");
        Await.until("web added after its directory changed", WAIT, () -> calls.size() == 2);
        assertEquals("W", idOf("web"));
    }

    /** Once a transient service of root's held web, root's tree/web stayed refused, even after a rescan. */
    @Test
    void aRescanLoadsAServiceRefusedBeforeForItsName() throws Exception {
        running.put("web", root.resolveSibling("elsewhere").resolve("web"));
        service("web", "W");
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(List.of("add web"), calls);

        running.remove("web");
        loop.call(() -> {
            tree.rescan();
            return null;
        });

        Await.until("web added by the rescan", WAIT, () -> calls.size() == 2);
        assertEquals("W", idOf("web"));
    }

    @Test
    void aServiceRefusedForItsNameIsLoadedOnceTheNameIsFreed() throws Exception {
        running.put("web", root.resolveSibling("elsewhere").resolve("web"));
        service("web", "W");
        service("api", "A");
        startTree().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        calls.clear();

        running.remove("web");
        loop.call(() -> {
            tree.nameFreed("web");
            tree.nameFreed("api");
            tree.nameFreed("other");
            return null;
        });

        assertEquals(List.of("add web"), calls, "only the refused service is tried again");
        assertEquals("W", idOf("web"));
    }
}
