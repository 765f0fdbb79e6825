package io.moeoperator.cuda;

/**
 * One GPU as the CUDA runtime describes it.
 *
 * @param totalMemoryBytes global (HBM) memory
 */
public record CudaDevice(int ordinal, String name, long totalMemoryBytes, int computeMajor, int computeMinor) {
    @Override
    public String toString() {
        return String.format("GPU %d: %s (sm_%d%d, %.1f GiB)", ordinal, name, computeMajor, computeMinor,
                totalMemoryBytes / (1024.0 * 1024 * 1024));
    }
}
