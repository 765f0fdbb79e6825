package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * softmax and swiglu give the same bits whichever tier runs them: a child JVM runs {@link
 * ElementwiseTierProbe} interpreted ({@code -Xint}) or with C1 only, this JVM runs it after a warm-up
 * that gets the kernels compiled by C2, and the results must be identical. With {@code lanewise(EXP)}
 * they were not: C2 calls a vector math-library stub, the other tiers {@code Math.exp} per lane.
 */
class ElementwiseTierIT {
    /** Calls of each kernel before the compiled run: well past C2's thresholds (about 10^4). */
    private static final int WARM_UP_CALLS = 30_000;

    @TempDir
    Path dir;

    /** failsafe points java.io.tmpdir at target/it-tmp, which nothing may have created yet. */
    @BeforeAll
    static void createTmpDir() throws IOException {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-Xint", "-XX:TieredStopAtLevel=1"})
    void compiledEqualsTier(String tierFlag) throws IOException, InterruptedException {
        float[] compiled;
        try (VectorOps ops = new VectorOps(1)) {
            warmUp(ops);
            compiled = ElementwiseTierProbe.run(ops);
        }
        float[] other = runChild(tierFlag);
        assertEquals(compiled.length, other.length, "result count");
        for (int i = 0; i < compiled.length; i++) {
            if (Float.floatToIntBits(compiled[i]) != Float.floatToIntBits(other[i])) {
                throw new AssertionError("result " + i + ": " + compiled[i] + " compiled by C2, " + other[i]
                        + " with " + tierFlag + " (" + describe(i) + ")");
            }
        }
    }

    private static void warmUp(VectorOps ops) {
        int n = 40; // two vectors and a tail at up to 16 lanes
        float[] x = new float[n];
        float[] up = new float[n];
        for (int call = 0; call < WARM_UP_CALLS; call++) {
            for (int i = 0; i < n; i++) {
                x[i] = (call + i) % 50 - 25f;
                up[i] = 1f;
            }
            ops.softmax(x, 0, n);
            ops.swiglu(x, up, n);
        }
    }

    private float[] runChild(String tierFlag) throws IOException, InterruptedException {
        Path out = dir.resolve("probe.bin");
        Path log = dir.resolve("probe.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", tierFlag, "-cp", System.getProperty("java.class.path"),
                ElementwiseTierProbe.class.getName(), out.toString());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(5, TimeUnit.MINUTES)) {
            child.destroyForcibly();
            throw new AssertionError("probe with " + tierFlag + " ran over 5 minutes: " + command);
        }
        if (child.exitValue() != 0) {
            throw new AssertionError("probe with " + tierFlag + " exited " + child.exitValue() + ": "
                    + Files.readString(log));
        }
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            float[] results = new float[in.readInt()];
            for (int i = 0; i < results.length; i++) {
                results[i] = Float.intBitsToFloat(in.readInt());
            }
            return results;
        }
    }

    /** Which kernel, row length and element result i belongs to. */
    private static String describe(int i) {
        for (int n : ElementwiseTierProbe.LENGTHS) {
            if (i < n) {
                return "softmax, n = " + n + ", element " + i;
            }
            i -= n;
            if (i < n) {
                return "swiglu, n = " + n + ", element " + i;
            }
            i -= n;
        }
        throw new IllegalArgumentException("no result " + i);
    }
}
