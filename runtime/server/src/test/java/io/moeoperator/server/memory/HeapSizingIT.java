package io.moeoperator.server.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heap the image's entrypoint gives {@code moe serve} (deploy/images/moe-memory.sh, run by
 * {@code sh} as the image runs it): a quarter of the container's memory, at least 256 MiB and at most
 * 4 GiB, from the same sources as the server's own budget, which must find the same memory. Runs
 * processes, hence an IT.
 */
class HeapSizingIT {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
    static final Path SCRIPT = ROOT.resolve("deploy/images/moe-memory.sh");
    static final long MIB = 1L << 20;

    @TempDir
    Path cgroup;

    /** Failsafe points java.io.tmpdir at target/it-tmp, which nothing else may have made yet. */
    @BeforeAll
    static void makeTempRoot() throws IOException {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }

    record Result(int exit, String out, String err) {}

    /** Runs {@code sh -c '. moe-memory.sh; <function> <cgroup root>'} with exactly {@code env} set. */
    Result run(String function, Map<String, String> env) throws Exception {
        return process(List.of("sh", "-c", ". \"$0\"; " + function + " \"$1\"", SCRIPT.toString(), cgroup.toString()), env);
    }

    static Result process(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("MOE_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " did not exit");
        return new Result(p.exitValue(), out, err);
    }

    String heapFlag(Map<String, String> env) throws Exception {
        Result r = run("moe_heap_flag", env);
        assertEquals(0, r.exit(), r.err());
        return r.out();
    }

    void write(String file, String content) throws IOException {
        Files.createDirectories(cgroup.resolve(file).getParent());
        Files.writeString(cgroup.resolve(file), content);
    }

    @Test
    void aQuarterOfTheMemoryLimitBetween256MiBAnd4GiB() throws Exception {
        assertEquals("-Xmx256m", heapFlag(Map.of("MOE_MEMORY_LIMIT", Long.toString(1024 * MIB)))); // tiny-cpu's 1Gi
        assertEquals("-Xmx256m", heapFlag(Map.of("MOE_MEMORY_LIMIT", Long.toString(512 * MIB))), "at least 256 MiB");
        assertEquals("-Xmx2048m", heapFlag(Map.of("MOE_MEMORY_LIMIT", Long.toString(8192 * MIB))));
        assertEquals("-Xmx1152m", heapFlag(Map.of("MOE_MEMORY_LIMIT", "4831838208")), "4.5 GiB: whole MiB");
        assertEquals("-Xmx4096m", heapFlag(Map.of("MOE_MEMORY_LIMIT", Long.toString(64L << 30))), "at most 4 GiB");
    }

    @Test
    void cgroupLimitsWhenNoLimitIsConfigured() throws Exception {
        assertEquals("", heapFlag(Map.of()), "no limit anywhere: the JVM's default");
        write("memory/memory.limit_in_bytes", "9223372036854771712\n");
        assertEquals("", heapFlag(Map.of()), "cgroup v1's no-limit value");
        write("memory/memory.limit_in_bytes", "2147483648\n");
        assertEquals("-Xmx512m", heapFlag(Map.of()), "cgroup v1");
        write("memory.max", "max\n");
        assertEquals("-Xmx512m", heapFlag(Map.of()), "cgroup v2 without a limit: v1 is asked");
        write("memory.max", "4294967296\n");
        assertEquals("-Xmx1024m", heapFlag(Map.of()), "cgroup v2 before v1");
        assertEquals("-Xmx256m", heapFlag(Map.of("MOE_MEMORY_LIMIT", "1073741824")), "MOE_MEMORY_LIMIT before cgroups");
    }

    @Test
    void aHeapSizedInMoeJavaOptsIsLeftAlone() throws Exception {
        for (String opts : List.of("-Xmx300m", "-XX:+UseG1GC -Xmx1g", "-XX:MaxRAMPercentage=50", "-XX:MaxHeapSize=1g",
                "-XX:MaxRAM=2g")) {
            assertEquals("", heapFlag(Map.of("MOE_MEMORY_LIMIT", "1073741824", "MOE_JAVA_OPTS", opts)), opts);
        }
        assertEquals("-Xmx256m", heapFlag(Map.of("MOE_MEMORY_LIMIT", "1073741824", "MOE_JAVA_OPTS", "-Xss1m")));
    }

    @Test
    void aMemoryLimitThatIsNotBytesStopsTheEntrypoint() throws Exception {
        for (String bad : List.of("1Gi", "1G", "-1", "0", "")) {
            Result r = run("moe_heap_flag", Map.of("MOE_MEMORY_LIMIT", bad));
            if (bad.isEmpty()) {
                assertEquals(0, r.exit(), "empty is unset");
                continue;
            }
            assertEquals(1, r.exit(), bad);
            assertEquals("moe: MOE_MEMORY_LIMIT must be the container's memory in bytes, e.g. 1073741824; got '" + bad + "'",
                    r.err());
        }
    }

    /** The entrypoint and the server must agree on M, or the heap and the KV cache would be sized from different memories. */
    @Test
    void theScriptAndTheServerFindTheSameMemory() throws Exception {
        long machine = 24L << 30;
        String[][] cases = {
            // memory.max, memory/memory.limit_in_bytes (null: absent)
            {null, null}, {"max", null}, {"max", "3221225472"}, {"1073741824", "3221225472"},
            {null, "9223372036854771712"}, {null, "9223372036854710272"}, {"", "536870912"},
        };
        for (String[] c : cases) {
            Files.deleteIfExists(cgroup.resolve("memory.max"));
            Files.deleteIfExists(cgroup.resolve("memory/memory.limit_in_bytes"));
            if (c[0] != null) {
                write("memory.max", c[0] + "\n");
            }
            if (c[1] != null) {
                write("memory/memory.limit_in_bytes", c[1] + "\n");
            }
            Result script = run("moe_memory_limit", Map.of());
            assertEquals(0, script.exit(), script.err());
            ContainerMemory server = ContainerMemory.detect(OptionalLong.empty(), cgroup, machine);
            String what = "memory.max=" + c[0] + ", memory.limit_in_bytes=" + c[1];
            if (script.out().isEmpty()) {
                assertEquals(machine, server.bytes(), what + ": the script found no limit, the server must not either");
            } else {
                assertEquals(Long.parseLong(script.out()), server.bytes(), what);
            }
        }
    }

    /** The entrypoint itself, with a stand-in java that prints its arguments: -Xmx before MOE_JAVA_OPTS, serve only. */
    @Test
    void theEntrypointPassesTheHeapToServeOnly(@TempDir Path bin) throws Exception {
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin", "MOE_MEMORY_LIMIT", "1073741824",
                "MOE_JAVA_OPTS", "-Xss2m");
        String entrypoint = ROOT.resolve("deploy/images/moe").toString();
        Result serve = process(List.of(entrypoint, "serve", "--model", "m.gguf"), env);
        assertEquals(0, serve.exit(), serve.err());
        assertTrue(serve.out().endsWith(" -Xmx256m -Xss2m -jar /opt/moe/server/quarkus-run.jar --model m.gguf"), serve.out());
        Result synth = process(List.of(entrypoint, "synth", "--out", "m.gguf"), env);
        assertEquals(0, synth.exit(), synth.err());
        assertTrue(!synth.out().contains("-Xmx"), "the CLI keeps the JVM's default heap: " + synth.out());
        Result bad = process(List.of(entrypoint, "serve", "--model", "m.gguf"), Map.of("PATH", bin + ":/usr/bin:/bin",
                "MOE_MEMORY_LIMIT", "1Gi"));
        assertEquals(1, bad.exit(), "a bad MOE_MEMORY_LIMIT stops the container before java starts: " + bad.out());
        assertTrue(bad.err().contains("MOE_MEMORY_LIMIT must be the container's memory in bytes"), bad.err());
    }
}
