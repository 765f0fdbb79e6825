package io.moeoperator.operator.spec;

/**
 * The part of the runtime's memory formula (docs/memory.md: {@code M = W + KV + heap + N}) that the
 * operator can check before any pod runs: the heap the image's entrypoint gives {@code moe serve}
 * for a container of M bytes ({@code deploy/images/moe-memory.sh}), and the JVM's non-heap
 * overhead the runtime reserves. W (the model's resident bytes) is known only to the runtime, which
 * checks the whole formula at start-up. {@code PodMemoryTest} holds this to the script's answers.
 */
public final class PodMemory {
    static final long MIB = 1L << 20;
    static final long MIN_HEAP = 256 * MIB, MAX_HEAP = 4096 * MIB;
    /** {@code moe.memory-overhead}'s default: the fixed part of N. */
    static final long OVERHEAD = 192 * MIB;

    private PodMemory() {}

    /** -Xmx for a container of {@code memory} bytes: a quarter, in whole MiB, within [256 MiB, 4 GiB]. */
    public static long heap(long memory) {
        long mib = memory / 4 / MIB;
        return Math.clamp(mib, MIN_HEAP / MIB, MAX_HEAP / MIB) * MIB;
    }

    /** N: metaspace, code cache, threads, buffers (a constant) and the collector's per-heap structures (heap/32). */
    public static long overhead(long memory) {
        return OVERHEAD + heap(memory) / 32;
    }

    /** What the runtime has for the model's weights and the KV cache in a container of {@code memory} bytes. */
    public static long forModelAndCache(long memory) {
        return memory - heap(memory) - overhead(memory);
    }

    static String mib(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + "Mi" : String.format("%.1fMi", bytes / (double) MIB);
    }
}
