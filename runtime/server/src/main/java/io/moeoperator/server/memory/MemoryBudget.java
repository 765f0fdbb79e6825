package io.moeoperator.server.memory;

import io.moeoperator.engine.kvcache.KvCacheManager;
import io.moeoperator.engine.model.ModelFootprint;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The start-up memory budget of one {@code moe serve} process: {@code M = W + KV + heap + N}, the
 * container's memory shared between the model's resident bytes, the KV cache, the JVM's heap and a
 * stated non-heap overhead (docs/memory.md). Pure: what it decides depends only on these numbers.
 *
 * @param container     M, and where it was found
 * @param model         W: the mapped file this process reads and the loader's native copies
 * @param heapBytes     the JVM's max heap ({@code -Xmx})
 * @param overheadBytes N: what the JVM uses besides its heap (metaspace, code cache, thread stacks, the
 *                      collector's structures, Netty buffers, libjvm itself); see {@link #of}
 */
public record MemoryBudget(ContainerMemory container, ModelFootprint model, long heapBytes, long overheadBytes) {

    /**
     * The budget with N = {@code fixedOverhead} + heap/32. Measured on {@code moe serve} (docs/memory.md):
     * about 130 MiB besides the heap for a small model with the serial collector, and G1 reserves about
     * 3 % of the heap on top for its bitmaps, card table and remembered sets; heap/32 covers that part,
     * {@code fixedOverhead} (192 MiB by default) the rest with a margin.
     */
    public static MemoryBudget of(ContainerMemory container, ModelFootprint model, long heapBytes, long fixedOverhead) {
        return new MemoryBudget(container, model, heapBytes, fixedOverhead + heapBytes / 32);
    }

    /**
     * What sizing needs to know of the engine and the flags.
     *
     * @param kvCacheMemory  {@code --kv-cache-memory}, when given
     * @param contextLength  {@code --context-length}, when given (already checked against the model's)
     * @param modelContext   the model's context length
     * @param bytesPerBlock  one KV block across all layers
     */
    public record Request(OptionalLong kvCacheMemory, OptionalInt contextLength, int modelContext, int maxNumSeqs,
                          int blockSize, long bytesPerBlock) {}

    /**
     * What start-up decided: the KV cache in whole blocks and the context served.
     *
     * @param kvCacheBytes  {@code numBlocks * bytesPerBlock}: what the engine is given
     * @param contextLength the longest prompt + completion a request may ask for; one sequence of it
     *                      always fits the cache
     * @param contextCapped whether {@code contextLength} is below the model's because the cache holds no more
     * @param kvSource      why the cache has this size (the flag, or the default's terms)
     */
    public record Plan(MemoryBudget budget, long kvCacheBytes, int numBlocks, int blockSize, int contextLength,
                       int modelContext, boolean contextCapped, String kvSource) {
        /** Tokens the cache holds, all of them for one sequence if need be. */
        public long cacheTokens() {
            return (long) numBlocks * blockSize;
        }

        /** The one start-up line with every term. */
        public String describe() {
            MemoryBudget b = budget;
            long unused = b.container.bytes() - b.model.totalBytes() - kvCacheBytes - b.heapBytes - b.overheadBytes;
            return "Memory budget: container " + size(b.container.bytes()) + " (" + b.container.source() + ") = model "
                    + size(b.model.totalBytes()) + " (mapped " + size(b.model.mappedBytes()) + " + native "
                    + size(b.model.nativeBytes()) + ") + KV cache " + size(kvCacheBytes) + " + JVM max heap "
                    + size(b.heapBytes) + " + non-heap overhead " + size(b.overheadBytes) + " + unused " + size(unused)
                    + "; KV cache " + numBlocks + " blocks of " + blockSize + " tokens (" + cacheTokens() + " tokens), "
                    + kvSource;
        }

        /** The line logged when the served context is capped. */
        public String describeCap() {
            return "Context: serving " + contextLength + " tokens, not the model's " + modelContext
                    + ": the KV cache holds " + cacheTokens() + " tokens for one sequence (" + numBlocks + " blocks of "
                    + blockSize + "); for more, give the container more memory or set --kv-cache-memory";
        }
    }

    /** M - W - heap - N: what the KV cache may take; negative when even the rest does not fit. */
    public long availableForKvCache() {
        return container.bytes() - model.totalBytes() - heapBytes - overheadBytes;
    }

    /**
     * Sizes the KV cache and the served context. Without {@code --kv-cache-memory} the cache gets what
     * is available, but no more than {@code max-num-seqs} sequences of the context need; without
     * {@code --context-length} the context is capped to what the cache holds for one sequence.
     *
     * @throws MemoryBudgetException when {@code --kv-cache-memory} exceeds what is available, when
     *         nothing is left for even one block, or when one sequence of {@code --context-length}
     *         does not fit the cache; each message gives the terms and what to change
     */
    public Plan plan(Request r) {
        long available = availableForKvCache();
        int sizingContext = r.contextLength().orElse(r.modelContext());
        int numBlocks;
        String kvSource;
        if (r.kvCacheMemory().isPresent()) {
            long asked = r.kvCacheMemory().getAsLong();
            if (asked > available) {
                throw new MemoryBudgetException("--kv-cache-memory " + size(asked) + " does not fit: " + terms(available)
                        + "; lower --kv-cache-memory to at most " + Math.max(0, available >> 20) + "M, or give the container"
                        + " more memory", "moe.engine.kv-cache-memory");
            }
            numBlocks = KvCacheManager.numBlocksFor(r.bytesPerBlock(), r.blockSize(), asked);
            if (numBlocks < 1) {
                throw new MemoryBudgetException("--kv-cache-memory " + asked + " bytes holds no block of " + r.blockSize()
                        + " tokens (" + r.bytesPerBlock() + " bytes each for this model); set at least " + r.bytesPerBlock()
                        + " bytes", "moe.engine.kv-cache-memory");
            }
            kvSource = "from --kv-cache-memory " + size(asked);
        } else {
            int availableBlocks = KvCacheManager.numBlocksFor(r.bytesPerBlock(), r.blockSize(), available);
            if (availableBlocks < 1) {
                throw new MemoryBudgetException("no memory is left for the KV cache: " + terms(available) + ", less than one"
                        + " block of " + r.blockSize() + " tokens (" + r.bytesPerBlock() + " bytes); give the container more"
                        + " memory (MOE_MEMORY_LIMIT, the pod's memory limit) or the JVM a smaller heap (-Xmx in MOE_JAVA_OPTS)",
                        "moe.memory-limit");
            }
            long blocksPerSequence = ceilDiv(sizingContext, r.blockSize());
            long wanted = r.maxNumSeqs() * blocksPerSequence;
            numBlocks = (int) Math.min(availableBlocks, wanted);
            kvSource = "default: min(available " + size(available) + ", " + r.maxNumSeqs() + " sequences x " + sizingContext
                    + " tokens = " + size(wanted * r.bytesPerBlock()) + ")";
        }
        long oneSequence = (long) numBlocks * r.blockSize();
        int context;
        if (r.contextLength().isPresent()) {
            context = r.contextLength().getAsInt();
            if (context > oneSequence) {
                throw new MemoryBudgetException("--context-length " + context + " does not fit the KV cache: one sequence of "
                        + context + " tokens needs " + ceilDiv(context, r.blockSize()) + " blocks of " + r.blockSize()
                        + " tokens (" + size(ceilDiv(context, r.blockSize()) * r.bytesPerBlock()) + "), the cache holds "
                        + numBlocks + " (" + oneSequence + " tokens, " + kvSource + "); give the container more memory or"
                        + " set a larger --kv-cache-memory, or lower --context-length to at most " + oneSequence,
                        "moe.context-length");
            }
        } else {
            context = (int) Math.min(r.modelContext(), oneSequence);
        }
        return new Plan(this, numBlocks * r.bytesPerBlock(), numBlocks, r.blockSize(), context, r.modelContext(),
                r.contextLength().isEmpty() && context < r.modelContext(), kvSource);
    }

    /** Every term of M - W - heap - N, in words. */
    private String terms(long available) {
        return "the container's " + size(container.bytes()) + " (" + container.source() + ") less the model's "
                + size(model.totalBytes()) + " (mapped " + size(model.mappedBytes()) + " + native " + size(model.nativeBytes())
                + "), the JVM's max heap " + size(heapBytes) + " and the non-heap overhead " + size(overheadBytes)
                + " (moe.memory-overhead + heap/32) leaves " + size(available) + " for the KV cache";
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Bytes for people: KiB below a MiB, MiB below a GiB, else GiB (the unit of every term in logs and messages). */
    static String size(long bytes) {
        long abs = Math.abs(bytes);
        if (abs < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (abs < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
