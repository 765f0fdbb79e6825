package io.moeoperator.engine.ep;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What of a file the kernel holds in memory (Linux): {@code mincore(2)} through
 * {@link MemorySegment#isLoaded()} on each page of a read-only mapping (mapping faults nothing in),
 * and eviction with {@code posix_fadvise(POSIX_FADV_DONTNEED)} after {@code fsync}, so that what is
 * resident afterwards is what a process read since. Pages the kernel read ahead around a fault
 * count too: they are I/O a rank causes.
 */
final class PageResidency {
    static final long PAGE = 4096;
    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FADVISE = handle("posix_fadvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private PageResidency() {}

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    /** Writes the file's dirty pages out and drops its clean ones from the page cache. */
    static void evict(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), O_RDONLY);
            if (fd < 0) {
                throw new IOException("open(" + file + ") failed");
            }
            int rc = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
            int closed = (int) CLOSE.invokeExact(fd);
            if (rc != 0 || closed != 0) {
                throw new IOException("posix_fadvise(" + file + ", DONTNEED) returned " + rc);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Bytes of the file's pages that are in memory now. */
    static long residentBytes(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long resident = 0;
            for (long at = 0; at < m.byteSize(); at += PAGE) {
                long len = Math.min(PAGE, m.byteSize() - at);
                if (m.asSlice(at, len).isLoaded()) {
                    resident += len;
                }
            }
            return resident;
        }
    }
}
