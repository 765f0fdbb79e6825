package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.kernel.ScalarOps;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.model.WeightSource;
import io.moeoperator.engine.sample.Sampler;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The same model from different files, timed alternately in one JVM so that JIT warm-up and host
 * noise hit them alike: opening it (LoadedModel.open: weights and tokenizer; and the weights alone:
 * source + DeepSeek2Model), and decoding (process CPU time per token over 32 greedy steps after a
 * 16-token prompt, all threads counted). Prints medians per model.
 * Usage (after {@code ./mvnw test-compile}): {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp runtime/engine/target/classes:runtime/engine/target/test-classes:JACKSON_JARS
 * io.moeoperator.engine.safetensors.FormatBench ROUNDS THREADS MODEL...}
 */
public final class FormatBench {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        Path[] models = Arrays.stream(args, 2, args.length).map(Path::of).toArray(Path[]::new);
        double[][] open = new double[models.length][rounds];
        double[][] weights = new double[models.length][rounds];
        double[][] decode = new double[models.length][rounds];
        LoadedModel[] loaded = new LoadedModel[models.length];
        for (int i = 0; i < models.length; i++) {
            loaded[i] = LoadedModel.open(models[i], threads);
            decodeMsPerToken(loaded[i]); // warm up
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < models.length; i++) {
                long t0 = System.nanoTime();
                LoadedModel.open(models[i], 1).close();
                open[i][r] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                try (WeightSource s = Files.isDirectory(models[i]) ? SafetensorsWeightSource.open(models[i])
                        : GgufWeightSource.open(models[i])) {
                    new DeepSeek2Model(s, new ScalarOps());
                }
                weights[i][r] = (System.nanoTime() - t0) / 1e6;
                decode[i][r] = decodeMsPerToken(loaded[i]);
            }
        }
        for (int i = 0; i < models.length; i++) {
            System.out.printf(Locale.ROOT, "%s: open %.1f ms (weights alone %.1f ms), decode %.2f ms CPU per token"
                    + " (medians of %d; decode %s)%n", models[i], median(open[i]), median(weights[i]), median(decode[i]), rounds,
                    Arrays.toString(Arrays.stream(decode[i]).map(d -> Math.round(d * 10) / 10.0).toArray()));
            loaded[i].close();
        }
    }

    private static double decodeMsPerToken(LoadedModel m) {
        DeepSeek2Model model = m.model();
        LatentKvCache cache = model.newCache();
        float[] logits = model.forward(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, cache);
        long c0 = OS.getProcessCpuTime();
        for (int i = 0; i < 32; i++) {
            logits = model.forward(new int[] {Sampler.argmax(logits)}, cache);
        }
        return (OS.getProcessCpuTime() - c0) / 1e6 / 32;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
