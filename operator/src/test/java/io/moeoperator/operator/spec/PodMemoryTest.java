package io.moeoperator.operator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The pod-sizing side of docs/memory.md; ContainerImagesTest holds heap() to the entrypoint script. */
class PodMemoryTest {
    static final long MIB = 1L << 20, GIB = 1L << 30;

    @Test
    void heapIsAQuarterOfThePodWithinBounds() {
        assertEquals(256 * MIB, PodMemory.heap(512 * MIB), "at least 256 MiB");
        assertEquals(256 * MIB, PodMemory.heap(GIB));
        assertEquals(512 * MIB, PodMemory.heap(2 * GIB));
        assertEquals(4 * GIB, PodMemory.heap(64 * GIB), "at most 4 GiB");
        assertEquals(383 * MIB, PodMemory.heap(1535 * MIB), "whole MiB, rounded down");
    }

    @Test
    void theRestIsForTheModelAndTheCache() {
        // docs/memory.md's table: below 1 GiB the runtime keeps 456 MiB, above 16 GiB 4416 MiB.
        assertEquals(GIB - 456 * MIB, PodMemory.forModelAndCache(GIB));
        assertEquals(32 * GIB - 4416 * MIB, PodMemory.forModelAndCache(32 * GIB));
        assertEquals(8 * GIB - 2 * GIB - 256 * MIB, PodMemory.forModelAndCache(8 * GIB));
    }
}
