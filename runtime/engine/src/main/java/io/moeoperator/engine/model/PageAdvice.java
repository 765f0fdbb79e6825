package io.moeoperator.engine.model;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Tells the kernel how a mapped model file will be read ({@code madvise(2)}, Linux; elsewhere
 * nothing). An expert-parallel rank reads only some of the files: without advice, every page fault
 * reads ahead around itself (the block device's read_ahead_kb, often megabytes) into the other
 * ranks' experts. {@link #random} turns that off for a mapping; {@link #willNeed} then starts
 * reading exactly a tensor's pages, so a rank still reads its own weights in large requests.
 * Advice is a hint: when it cannot be given, reading works the same, only less frugally.
 */
public final class PageAdvice {
    private static final int MADV_RANDOM = 1;
    private static final int MADV_WILLNEED = 3;
    private static final long PAGE = 4096;
    private static final Optional<MethodHandle> MADVISE = lookup();

    private PageAdvice() {}

    private static Optional<MethodHandle> lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)));
        } catch (RuntimeException | LinkageError noNativeAccess) {
            return Optional.empty();
        }
    }

    /** Faults in {@code mapping} read only their own page. */
    public static boolean random(MemorySegment mapping) {
        return advise(mapping, MADV_RANDOM);
    }

    /** Starts reading the pages under {@code region} (asynchronously). */
    public static boolean willNeed(MemorySegment region) {
        return advise(region, MADV_WILLNEED);
    }

    private static boolean advise(MemorySegment region, int advice) {
        if (MADVISE.isEmpty() || region.byteSize() == 0 || !region.isNative()) {
            return false;
        }
        long start = region.address() / PAGE * PAGE; // madvise wants a page-aligned start
        long end = region.address() + region.byteSize();
        try {
            return (int) MADVISE.get().invokeExact(MemorySegment.ofAddress(start), end - start, advice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
