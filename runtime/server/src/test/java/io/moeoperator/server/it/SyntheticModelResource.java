package io.moeoperator.server.it;

import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model the integration tests serve: a small seeded deepseek2 file (one dense and two MoE
 * layers), written afresh once per test JVM so it always matches the current writer.
 */
public class SyntheticModelResource implements QuarkusTestResourceLifecycleManager {
    static final int CONTEXT = 1024;
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4)
            .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
            .numExperts(8).numExpertsUsed(2).numSharedExperts(1).numDenseLeading(1).contextLength(CONTEXT)
            .logitScale(4f).seed(3).build();
    static final Path PATH = Path.of("target", "it-models", "server-tiny.gguf").toAbsolutePath();
    /** The id the server gives the model: its file name without .gguf. */
    static final String MODEL_ID = "server-tiny";

    /** The same model as a Hugging Face directory in two safetensors shards. */
    static final Path HF_PATH = Path.of("target", "it-models", "server-tiny-hf").toAbsolutePath();

    private static boolean written;
    private static boolean hfWritten;

    static synchronized Path hfModel() {
        if (!hfWritten) {
            try {
                SyntheticHfWriter.write(SPEC, HF_PATH, new SyntheticHfWriter.Options(2, false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            hfWritten = true;
        }
        return HF_PATH;
    }

    static synchronized Path model() {
        if (!written) {
            try {
                Files.createDirectories(PATH.getParent());
                SyntheticModelWriter.write(SPEC, PATH);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            written = true;
        }
        return PATH;
    }

    @Override
    public Map<String, String> start() {
        return Map.of("moe.model", model().toString(), "moe.threads", "2");
    }

    @Override
    public void stop() {}
}
