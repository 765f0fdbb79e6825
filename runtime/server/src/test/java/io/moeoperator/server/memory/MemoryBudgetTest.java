package io.moeoperator.server.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.model.ModelFootprint;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * M = W + KV + heap + N: the default KV cache, an explicit one, the served context and every refusal,
 * with round numbers: a 1 GiB container, a 64 MiB model (60 mapped + 4 native), a 256 MiB heap, 192
 * MiB overhead, so 512 MiB are available; blocks of 16 tokens at 1 MiB each (64 KiB per token).
 */
class MemoryBudgetTest {
    static final long MIB = 1L << 20;
    static final MemoryBudget BUDGET = new MemoryBudget(new ContainerMemory(1024 * MIB, "moe.memory-limit"),
            new ModelFootprint(60 * MIB, 4 * MIB), 256 * MIB, 192 * MIB);

    static MemoryBudget.Request request(OptionalLong kv, OptionalInt context, int modelContext, int maxNumSeqs) {
        return new MemoryBudget.Request(kv, context, modelContext, maxNumSeqs, 16, MIB);
    }

    @Test
    void availableIsTheContainerLessEverythingElse() {
        assertEquals(512 * MIB, BUDGET.availableForKvCache());
    }

    @Test
    void theOverheadIsTheFixedPartPlusAThirtySecondOfTheHeap() {
        MemoryBudget b = MemoryBudget.of(BUDGET.container(), BUDGET.model(), 4096 * MIB, 192 * MIB);
        assertEquals((192 + 128) * MIB, b.overheadBytes());
        assertEquals(200 * MIB, MemoryBudget.of(BUDGET.container(), BUDGET.model(), 256 * MIB, 192 * MIB).overheadBytes());
    }

    @Test
    void theDefaultCacheHoldsMaxNumSeqsSequencesOfTheContextWhenThatFits() {
        // 8 sequences of 1024 tokens: 8 * 64 blocks = 512 blocks = 512 MiB, exactly what is available.
        MemoryBudget.Plan p = BUDGET.plan(request(OptionalLong.empty(), OptionalInt.empty(), 1024, 8));
        assertEquals(512, p.numBlocks());
        assertEquals(512 * MIB, p.kvCacheBytes());
        assertEquals(1024, p.contextLength());
        assertFalse(p.contextCapped());
        // 2 sequences need only 128 blocks: the rest stays unused.
        assertEquals(128, BUDGET.plan(request(OptionalLong.empty(), OptionalInt.empty(), 1024, 2)).numBlocks());
        // A partial block of context counts as a whole one: 2 * ceil(1000 / 16) = 126.
        assertEquals(126, BUDGET.plan(request(OptionalLong.empty(), OptionalInt.of(1000), 1024, 2)).numBlocks());
    }

    @Test
    void theDefaultCacheIsCutToWhatIsAvailableAndTheContextToOneSequenceOfIt() {
        MemoryBudget.Plan p = BUDGET.plan(request(OptionalLong.empty(), OptionalInt.empty(), 163840, 8));
        assertEquals(512, p.numBlocks());
        assertEquals(512 * 16, p.contextLength(), "what the cache holds for one sequence, in whole blocks");
        assertTrue(p.contextCapped());
        assertEquals("Context: serving 8192 tokens, not the model's 163840: the KV cache holds 8192 tokens for one"
                + " sequence (512 blocks of 16); for more, give the container more memory or set --kv-cache-memory", p.describeCap());
    }

    @Test
    void anExplicitCacheIsUsedInWholeBlocksAndCapsTheContextToo() {
        MemoryBudget.Plan p = BUDGET.plan(request(OptionalLong.of(100 * MIB + 5), OptionalInt.empty(), 163840, 8));
        assertEquals(100, p.numBlocks());
        assertEquals(100 * MIB, p.kvCacheBytes());
        assertEquals(1600, p.contextLength());
        assertTrue(p.contextCapped());
    }

    @Test
    void anExplicitCacheBeyondWhatIsAvailableIsRefusedWithEveryTerm() {
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> BUDGET.plan(request(OptionalLong.of(513 * MIB), OptionalInt.empty(), 1024, 8)));
        assertEquals("--kv-cache-memory 513.0 MiB does not fit: the container's 1.00 GiB (moe.memory-limit) less the"
                + " model's 64.0 MiB (mapped 60.0 MiB + native 4.0 MiB), the JVM's max heap 256.0 MiB and the non-heap"
                + " overhead 192.0 MiB (moe.memory-overhead + heap/32) leaves 512.0 MiB for the KV cache; lower --kv-cache-memory to"
                + " at most 512M, or give the container more memory", e.getMessage());
    }

    @Test
    void anExplicitCacheSmallerThanOneBlockIsRefused() {
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> BUDGET.plan(request(OptionalLong.of(1000), OptionalInt.empty(), 1024, 8)));
        assertTrue(e.getMessage().startsWith("--kv-cache-memory 1000 bytes holds no block of 16 tokens (1048576 bytes"),
                e.getMessage());
    }

    @Test
    void noRoomForOneBlockIsRefusedSayingWhatToChange() {
        MemoryBudget tight = new MemoryBudget(new ContainerMemory(512 * MIB, "cgroup v2 /sys/fs/cgroup/memory.max"),
                new ModelFootprint(60 * MIB, 4 * MIB), 256 * MIB, 192 * MIB);
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> tight.plan(request(OptionalLong.empty(), OptionalInt.empty(), 1024, 8)));
        assertTrue(e.getMessage().startsWith("no memory is left for the KV cache: the container's 512.0 MiB (cgroup v2"
                + " /sys/fs/cgroup/memory.max) less the model's 64.0 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("leaves 0.0 KiB for the KV cache, less than one block of 16 tokens (1048576 bytes)"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("give the container more memory (MOE_MEMORY_LIMIT, the pod's memory limit) or the"
                + " JVM a smaller heap (-Xmx in MOE_JAVA_OPTS)"), e.getMessage());
    }

    @Test
    void aContextLengthOneSequenceCannotHoldIsRefusedNamingBothNumbers() {
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class,
                () -> BUDGET.plan(request(OptionalLong.of(100 * MIB), OptionalInt.of(4096), 163840, 8)));
        assertEquals("--context-length 4096 does not fit the KV cache: one sequence of 4096 tokens needs 256 blocks of 16"
                + " tokens (256.0 MiB), the cache holds 100 (1600 tokens, from --kv-cache-memory 100.0 MiB); give the"
                + " container more memory or set a larger --kv-cache-memory, or lower --context-length to at most 1600",
                e.getMessage());
        // Without --kv-cache-memory the default sizes the cache for it when memory allows: 256 blocks for 1 sequence.
        assertEquals(4096, BUDGET.plan(request(OptionalLong.empty(), OptionalInt.of(4096), 163840, 1)).contextLength());
    }

    @Test
    void theLogLineHasEveryTerm() {
        MemoryBudget.Plan p = BUDGET.plan(request(OptionalLong.empty(), OptionalInt.empty(), 1024, 2));
        assertEquals("Memory budget: container 1.00 GiB (moe.memory-limit) = model 64.0 MiB (mapped 60.0 MiB + native"
                + " 4.0 MiB) + KV cache 128.0 MiB + JVM max heap 256.0 MiB + non-heap overhead 192.0 MiB + unused 384.0 MiB;"
                + " KV cache 128 blocks of 16 tokens (2048 tokens), default: min(available 512.0 MiB, 2 sequences x 1024"
                + " tokens = 128.0 MiB)", p.describe());
    }
}
