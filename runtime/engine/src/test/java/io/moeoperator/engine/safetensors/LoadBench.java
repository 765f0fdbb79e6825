package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.exec.LoadedModel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Time to open a model (LoadedModel.open with one thread: map, parse headers and config, decode the
 * norms and kv_b, read the tokenizer), alternating between the given models in one JVM so that JIT
 * warm-up and host noise hit them alike; prints the median wall and thread-CPU milliseconds per model.
 * Usage (after {@code ./mvnw test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp runtime/engine/target/classes:runtime/engine/target/test-classes:$(jackson jars)
 * io.moeoperator.engine.safetensors.LoadBench ROUNDS MODEL...}
 */
public final class LoadBench {
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        Path[] models = Arrays.stream(args, 1, args.length).map(Path::of).toArray(Path[]::new);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[][] wall = new double[models.length][rounds];
        double[][] cpuMs = new double[models.length][rounds];
        for (int warm = 0; warm < 3; warm++) {
            for (Path m : models) {
                LoadedModel.open(m, 1).close();
            }
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < models.length; i++) {
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                LoadedModel m = LoadedModel.open(models[i], 1);
                wall[i][r] = (System.nanoTime() - t0) / 1e6;
                cpuMs[i][r] = (cpu.getCurrentThreadCpuTime() - c0) / 1e6;
                m.close();
            }
        }
        for (int i = 0; i < models.length; i++) {
            System.out.printf(Locale.ROOT, "%s: open median %.1f ms wall, %.1f ms thread CPU (%d rounds; wall %s)%n", models[i],
                    median(wall[i]), median(cpuMs[i]), rounds, Arrays.toString(Arrays.stream(wall[i]).mapToLong(Math::round).toArray()));
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
