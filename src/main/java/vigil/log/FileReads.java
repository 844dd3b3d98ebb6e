package vigil.log;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import vigil.os.RegularFiles;

/** Positional reads of log files into a heap array, for the reading side (the CLI), one block at a time. */
final class FileReads implements AutoCloseable {
    static final int BLOCK = 64 * 1024;

    // Shared: a follower is made on one thread and may be run by the loop on another.
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging = arena.allocate(BLOCK);
    final byte[] block = new byte[BLOCK];

    /** Reads up to {@code length} (at most {@link #BLOCK}) bytes at {@code offset} into {@code dst}; 0 at EOF. */
    int read(int fd, long offset, byte[] dst, int at, int length) throws IOException {
        int n = (int) RegularFiles.pread(fd, staging, Math.min(length, BLOCK), offset);
        MemorySegment.copy(staging, ValueLayout.JAVA_BYTE, 0, dst, at, n);
        return n;
    }

    /** Copies the file from {@code offset} to its end, as it is now, to {@code out}; returns the new offset. */
    long copy(int fd, long offset, OutputStream out) throws IOException {
        int n;
        while ((n = read(fd, offset, block, 0, BLOCK)) > 0) {
            out.write(block, 0, n);
            offset += n;
        }
        return offset;
    }

    @Override
    public void close() {
        arena.close();
    }
}
