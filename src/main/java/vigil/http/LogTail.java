package vigil.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * The last lines of a service's log for the page: the end of its {@code current} file, a few KiB at most, read
 * on an HTTP thread. Older lines are for {@code vigil logs}.
 */
final class LogTail {
    static final int MAX_BYTES = 2048;

    private LogTail() {}

    /**
     * Whether {@code readerUid} may see a service's log on the page: root, or the user whose log it is. The daemon
     * reads every log as root, so the page must not hand a root service's output (passwords, tokens) to another
     * local user, who could not read the file himself. Over TCP the reader is unknown (-1) and sees none.
     */
    static boolean mayRead(Path logDirectory, int readerUid) {
        if (readerUid == 0) return true;
        if (readerUid < 0) return false;
        try {
            return (Integer) Files.getAttribute(logDirectory.resolve("current"), "unix:uid",
                    LinkOption.NOFOLLOW_LINKS) == readerUid;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static List<String> last(Path logDirectory, int lines) {
        try (FileChannel file = FileChannel.open(logDirectory.resolve("current"), StandardOpenOption.READ)) {
            long size = file.size();
            int take = (int) Math.min(size, MAX_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate(take);
            file.read(buffer, size - take);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            List<String> all = Arrays.asList(text.split("\n"));
            // The first piece may be a line cut by the read's start: dropped unless it is the file's start.
            int from = take < size && all.size() > 1 ? 1 : 0;
            return all.subList(Math.max(from, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of();
        }
    }
}
