package io.moeoperator.server.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** M's sources in order: moe.memory-limit, cgroup v2, cgroup v1, the machine; "no limit" values pass on. */
class ContainerMemoryTest {
    static final long MACHINE = 24L << 30;

    @TempDir
    Path root;

    ContainerMemory detect(OptionalLong configured) {
        return ContainerMemory.detect(configured, root, MACHINE);
    }

    void write(String file, String content) throws IOException {
        Files.createDirectories(root.resolve(file).getParent());
        Files.writeString(root.resolve(file), content);
    }

    @Test
    void theConfiguredLimitWinsOverCgroups() throws IOException {
        write("memory.max", "2147483648\n");
        assertEquals(new ContainerMemory(1L << 30, "moe.memory-limit"), detect(OptionalLong.of(1L << 30)));
    }

    @Test
    void aNonPositiveConfiguredLimitIsRefusedNamingTheKey() {
        MemoryBudgetException e = assertThrows(MemoryBudgetException.class, () -> detect(OptionalLong.of(0)));
        assertTrue(e.getMessage().contains("moe.memory-limit (MOE_MEMORY_LIMIT) must be the container's memory in bytes"),
                e.getMessage());
    }

    @Test
    void cgroupV2BeforeV1() throws IOException {
        write("memory.max", "1073741824\n");
        write("memory/memory.limit_in_bytes", "2147483648\n");
        assertEquals(new ContainerMemory(1L << 30, "cgroup v2 " + root.resolve("memory.max")), detect(OptionalLong.empty()));
    }

    @Test
    void cgroupV2MaxMeansNoLimitAndV1IsAsked() throws IOException {
        write("memory.max", "max\n");
        write("memory/memory.limit_in_bytes", "2147483648\n");
        assertEquals(new ContainerMemory(2L << 30, "cgroup v1 " + root.resolve("memory/memory.limit_in_bytes")),
                detect(OptionalLong.empty()));
    }

    @Test
    void cgroupV1sNoLimitValueFallsBackToTheMachine() throws IOException {
        write("memory/memory.limit_in_bytes", "9223372036854771712\n"); // what an unlimited v1 cgroup reads
        assertEquals(new ContainerMemory(MACHINE, "the machine's memory (no container limit found)"), detect(OptionalLong.empty()));
    }

    @Test
    void noCgroupFilesFallBackToTheMachine() {
        assertEquals(MACHINE, detect(OptionalLong.empty()).bytes());
    }

    @Test
    void unreadableValuesAreNoLimit() throws IOException {
        write("memory.max", "");
        write("memory/memory.limit_in_bytes", "99999999999999999999999\n"); // beyond a long
        assertEquals(MACHINE, detect(OptionalLong.empty()).bytes());
    }
}
