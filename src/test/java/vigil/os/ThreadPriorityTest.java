package vigil.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ThreadPriorityTest {
    /** Field 19 of /proc/thread-self/stat, after the command name (which may hold spaces). */
    private static int niceOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]);
    }

    @Test
    void onlyTheCallingThreadIsReniced() throws Exception {
        int before = niceOfThisThread();
        assumeTrue(before < 19, "already as nice as a thread gets");
        int lower = Math.min(19, before + 5);
        var niceThere = new CompletableFuture<Integer>();
        Thread.ofPlatform().start(() -> {
            try {
                ThreadPriority.lowerCurrentThread(lower);
                niceThere.complete(niceOfThisThread());
            } catch (Throwable t) {
                niceThere.completeExceptionally(t);
            }
        });
        assertEquals(lower, niceThere.get(10, TimeUnit.SECONDS));
        assertEquals(before, niceOfThisThread());
    }
}
