package io.moeoperator.server.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The memory this process may use, M of the start-up budget, and where it was found: the
 * {@code moe.memory-limit} key (env {@code MOE_MEMORY_LIMIT}; the operator sets it from the downward
 * API's {@code limits.memory}), else the cgroup v2 limit, else the cgroup v1 limit, else the machine's
 * memory. The image's entrypoint sizes the heap from the same sources in the same order
 * ({@code deploy/images/moe-memory.sh}); a test holds the two to the same answers.
 *
 * @param source what gave {@code bytes}, for the start-up log and error messages
 */
public record ContainerMemory(long bytes, String source) {
    /** Where the container's cgroup is mounted. */
    public static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    static final String V2_FILE = "memory.max";
    static final String V1_FILE = "memory/memory.limit_in_bytes";
    /**
     * cgroup v1 reports "no limit" as the largest page-aligned count it can hold (9223372036854771712
     * with 4 KiB pages); cgroup v2 writes {@code max}. No container has 2^62 bytes, so from there on is
     * no limit.
     */
    static final long NO_LIMIT = 1L << 62;

    public ContainerMemory {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory of " + bytes + " bytes from " + source + " must be > 0");
        }
    }

    /**
     * @param configured    {@code moe.memory-limit}, in bytes
     * @param cgroupRoot    {@link #CGROUP_ROOT}, or a directory laid out like it (tests)
     * @param machineBytes  the machine's memory, for when no limit is found
     */
    public static ContainerMemory detect(OptionalLong configured, Path cgroupRoot, long machineBytes) {
        if (configured.isPresent()) {
            if (configured.getAsLong() <= 0) {
                throw new MemoryBudgetException("moe.memory-limit (MOE_MEMORY_LIMIT) must be the container's memory in bytes,"
                        + " e.g. 1073741824; got " + configured.getAsLong(), "moe.memory-limit");
            }
            return new ContainerMemory(configured.getAsLong(), "moe.memory-limit");
        }
        for (String file : new String[] {V2_FILE, V1_FILE}) {
            Path limitFile = cgroupRoot.resolve(file);
            OptionalLong limit = readLimit(limitFile);
            if (limit.isPresent()) {
                return new ContainerMemory(limit.getAsLong(), (file.equals(V2_FILE) ? "cgroup v2 " : "cgroup v1 ") + limitFile);
            }
        }
        return new ContainerMemory(machineBytes, "the machine's memory (no container limit found)");
    }

    /** A limit file's value; empty when it is absent, unreadable, "max" or "no limit". */
    static OptionalLong readLimit(Path file) {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException | SecurityException e) {
            return OptionalLong.empty();
        }
        if (!text.matches("[0-9]{1,19}")) {
            return OptionalLong.empty(); // "max"
        }
        try {
            long v = Long.parseLong(text);
            return v > 0 && v < NO_LIMIT ? OptionalLong.of(v) : OptionalLong.empty();
        } catch (NumberFormatException beyondLong) {
            return OptionalLong.empty();
        }
    }
}
