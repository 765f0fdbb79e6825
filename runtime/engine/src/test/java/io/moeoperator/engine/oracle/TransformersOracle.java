package io.moeoperator.engine.oracle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face transformers (5.12.1, PyTorch CPU, in the Debian sid root) as the engine's oracle:
 * tests/oracles/transformers-oracle.sh makes tiny DeepSeek-V2/V3 checkpoints with transformers'
 * own classes and writes transformers' outputs on them as JSON; it caches them by the scripts'
 * hash, so only the first run in a checkout pays (about 20 s). A missing sid root or tokenizer
 * fixture fails the test with the command that provides it.
 */
final class TransformersOracle {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static Index index;

    private TransformersOracle() {}

    /** index.json: versions, the oracle patches, and one entry per checkpoint. */
    record Index(Path dir, String transformers, String torch, List<String> patches, Map<String, Object> facts,
                 List<Model> models) {
        List<Model> ofDtype(String dtype) {
            return models.stream().filter(m -> m.dtype().equals(dtype)).toList();
        }
    }

    /** One checkpoint: {@code dir} and {@code reference} relative to the oracle's directory. */
    record Model(String name, String variant, String dtype, String modelType, String dir, String reference) {
        @Override
        public String toString() {
            return name;
        }
    }

    record Prompt(String text, boolean addBos, int[] ids) {}

    record Greedy(int[] tokens, double minMargin) {}

    record TeacherForced(int[] ids, int[] top1, int[] top1Bf16Compute, double minMargin) {}

    record RoutingStats(int layer, int tokens, int experts, int expertsUsed, double biasChanged,
                        double groupLimitChanged) {}

    /** What transformers computed on one checkpoint (greedy and last_logits for F32, teacher_forced otherwise). */
    record Reference(String name, String dtype, String compute, double attentionScaling, List<Prompt> prompts,
                     int[] bannedIds, List<Greedy> greedy, float[][] lastLogits, List<TeacherForced> teacherForced,
                     List<RoutingStats> routing) {}

    static synchronized Index index() {
        if (index == null) {
            Path dir = make();
            try {
                Index read = JSON.readValue(dir.resolve("index.json").toFile(), Index.class);
                index = new Index(dir, read.transformers(), read.torch(), read.patches(), read.facts(), read.models());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return index;
    }

    static Path modelDir(Model m) {
        return index().dir().resolve(m.dir());
    }

    static Reference reference(Model m) {
        try {
            return JSON.readValue(index().dir().resolve(m.reference()).toFile(), Reference.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the maker (cached); its progress and errors go to this test's output. */
    private static Path make() {
        Path script = repoRoot().resolve("tests/oracles/transformers-oracle.sh");
        try {
            Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread drain = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            drain.join();
            String log = err.toString(StandardCharsets.UTF_8);
            System.err.print(log);
            if (rc != 0) {
                throw new IllegalStateException(script + " failed (exit " + rc + "); it says:\n" + log);
            }
            return Path.of(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checkout's root: the tests run in runtime/engine. */
    private static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("tests/oracles/transformers-oracle.sh"))) {
                return d;
            }
        }
        throw new IllegalStateException("tests/oracles/transformers-oracle.sh not found above " + Path.of("").toAbsolutePath());
    }
}
