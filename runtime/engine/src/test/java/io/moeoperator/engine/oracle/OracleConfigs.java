package io.moeoperator.engine.oracle;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The synthetic model configurations the engine is checked on against llama.cpp. */
final class OracleConfigs {
    static final int CONTEXT = 512;

    static final String[] PROMPTS = {
        "Once upon a time",
        "The quick brown fox jumps over the lazy dog.",
        "def main():\n    print(\"hello\")",
        "In 1969, 3 astronauts flew 384400 km to the Moon!",
        "Experts are chosen per token; shared experts see every token.",
        "SELECT name, count(*) FROM requests GROUP BY name;",
        "  indented text\twith tabs, and a trailing space ",
        "Q: Why is the sky blue?\nA:",
    };

    private OracleConfigs() {}

    /** Small dimensions keep llama.cpp and the engine fast; the structure is what matters. */
    static SynthSpec.Builder small() {
        return SynthSpec.builder()
                .vocabSize(384).hidden(64).numLayers(4).numHeads(4).qLoraRank(32).kvLoraRank(32)
                .qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32).numExperts(8).numExpertsUsed(2)
                .numSharedExperts(1).numDenseLeading(1).contextLength(CONTEXT).logitScale(4f);
    }

    /** The five configurations the issue names, F32 weights. */
    static Map<String, SynthSpec> f32() {
        Map<String, SynthSpec> m = new LinkedHashMap<>();
        // llama.cpp b4916 treats exactly 27 layers as "lite": no q-lora, a plain attn_q.
        m.put("lite-27-layers-no-q-lora", small().numLayers(27).qLoraRank(0).seed(1).build());
        m.put("q-lora", small().seed(2).build());
        m.put("sigmoid-bias-norm-scale", small().gating(GatingFunction.SIGMOID).routerBias(true)
                .expertWeightsNorm(true).expertWeightsScale(2.5f).numExperts(16).numExpertsUsed(4).seed(3).build());
        m.put("yarn", small().yarnFactor(4f).yarnOriginalContext(128).yarnLogMultiplier(0.0707f).seed(4).build());
        m.put("no-dense-layers", small().numDenseLeading(0).numSharedExperts(2).seed(5).build());
        return m;
    }

    private static final Set<Path> WRITTEN = ConcurrentHashMap.newKeySet();

    /**
     * Where a spec's model file lives. Written afresh once per test run (it takes milliseconds), so a
     * file left by an older writer in target/ never stands in for what the current code writes.
     */
    static Path model(String name, SynthSpec spec) {
        Path dir = Path.of("target", "it-models");
        Path file = dir.resolve(name + "-" + spec.weightType() + ".gguf");
        try {
            Files.createDirectories(dir);
            if (WRITTEN.add(file)) {
                SyntheticModelWriter.write(spec, file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static SynthSpec withType(SynthSpec spec, GgmlType type) {
        return spec.toBuilder().weightType(type).build();
    }
}
