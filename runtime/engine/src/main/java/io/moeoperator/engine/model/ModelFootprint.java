package io.moeoperator.engine.model;

/**
 * The memory a loaded model keeps resident in this process, outside the Java heap: the start-up
 * memory budget subtracts it from the container's memory before sizing the KV cache.
 *
 * @param mappedBytes bytes of the mapped model files this process reads: all of them (headers, GGUF's
 *                    tokenizer, every shared tensor) but the routed experts of other expert-parallel
 *                    ranks, which it never touches. The kernel pages them in as they are read; in a container they
 *                    count against its memory as page cache.
 * @param nativeBytes copies the loader makes in native memory (the absorbed attention's F32 W_UK^T and
 *                    W_UV)
 */
public record ModelFootprint(long mappedBytes, long nativeBytes) {
    public ModelFootprint {
        if (mappedBytes < 0 || nativeBytes < 0) {
            throw new IllegalArgumentException("negative model footprint: mapped " + mappedBytes + ", native " + nativeBytes);
        }
    }

    public long totalBytes() {
        return mappedBytes + nativeBytes;
    }
}
