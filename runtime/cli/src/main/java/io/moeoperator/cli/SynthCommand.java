package io.moeoperator.cli;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import io.moeoperator.engine.synth.SyntheticVocab;
import io.moeoperator.engine.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "synth", sortOptions = false,
        description = "Write a seeded random-weight DeepSeek-style model (the demo model and test fixtures): a GGUF file, "
                + "or the same model as a Hugging Face directory with --format safetensors.")
final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;
    private static final SynthSpec D = SynthSpec.demo();

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "the GGUF file, or the directory for safetensors")
    Path out;
    @Option(names = "--format", description = "gguf or safetensors (config.json, tokenizer files, model*.safetensors); "
            + "default ${DEFAULT-VALUE}") String format = "gguf";
    @Option(names = "--shards", description = "safetensors: split the weights over N files with an index; default ${DEFAULT-VALUE}")
    int shards = 1;
    @Option(names = "--seed", description = "default ${DEFAULT-VALUE}") long seed = D.seed();
    @Option(names = "--type", description = "weight type of matrices: F32, F16, BF16, Q8_0, Q4_0 (GGUF), "
            + "F8_E4M3 (safetensors, 128x128 block scales); default ${DEFAULT-VALUE}")
    GgmlType type = D.weightType();
    @Option(names = "--vocab-size", description = "default ${DEFAULT-VALUE}, or the size of --tokenizer's vocabulary")
    int vocabSize = D.vocabSize();
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "a Hugging Face model directory whose tokenizer.json to use"
            + " (a real vocabulary, such as DeepSeek-V3's) instead of one trained on a small built-in corpus")
    Path tokenizer;
    @Option(names = "--hidden", description = "default ${DEFAULT-VALUE}") int hidden = D.hidden();
    @Option(names = "--layers", description = "default ${DEFAULT-VALUE}") int layers = D.numLayers();
    @Option(names = "--heads", description = "default ${DEFAULT-VALUE}") int heads = D.numHeads();
    @Option(names = "--q-lora-rank", description = "0 = plain q projection (llama.cpp allows it only with 27 layers); default ${DEFAULT-VALUE}")
    int qLoraRank = D.qLoraRank();
    @Option(names = "--kv-lora-rank", description = "default ${DEFAULT-VALUE}") int kvLoraRank = D.kvLoraRank();
    @Option(names = "--qk-nope", description = "default ${DEFAULT-VALUE}") int qkNope = D.qkNope();
    @Option(names = "--qk-rope", description = "default ${DEFAULT-VALUE}") int qkRope = D.qkRope();
    @Option(names = "--v-head", description = "default ${DEFAULT-VALUE}") int vHead = D.vHead();
    @Option(names = "--ff-dense", description = "dense MLP width; default ${DEFAULT-VALUE}") int ffDense = D.ffDense();
    @Option(names = "--ff-expert", description = "expert MLP width; default ${DEFAULT-VALUE}") int ffExpert = D.ffExpert();
    @Option(names = "--experts", description = "routed experts; default ${DEFAULT-VALUE}") int experts = D.numExperts();
    @Option(names = "--experts-used", description = "experts per token; default ${DEFAULT-VALUE}") int expertsUsed = D.numExpertsUsed();
    @Option(names = "--shared-experts", description = "default ${DEFAULT-VALUE}") int sharedExperts = D.numSharedExperts();
    @Option(names = "--dense-layers", description = "leading dense layers; default ${DEFAULT-VALUE}") int denseLayers = D.numDenseLeading();
    @Option(names = "--context-length", description = "default ${DEFAULT-VALUE}") int contextLength = D.contextLength();
    @Option(names = "--gating", description = "SOFTMAX or SIGMOID; default ${DEFAULT-VALUE}") GatingFunction gating = D.gating();
    @Option(names = "--router-bias", description = "write a selection bias (exp_probs_b), as DeepSeek-V3") boolean routerBias;
    @Option(names = "--expert-weights-norm", description = "renormalise the top-k weights") boolean weightsNorm;
    @Option(names = "--expert-weights-scale", description = "default ${DEFAULT-VALUE}") float weightsScale = D.expertWeightsScale();
    @Option(names = "--yarn-factor", description = "0 = no YaRN; default ${DEFAULT-VALUE}") float yarnFactor = 0f;
    @Option(names = "--yarn-original-context", description = "default ${DEFAULT-VALUE}") int yarnOriginalContext = 0;
    @Option(names = "--yarn-log-multiplier", description = "0.1 * mscale_all_dim; default ${DEFAULT-VALUE}") float yarnLogMultiplier = 0.0707f;
    @Option(names = "--rope-theta", description = "default ${DEFAULT-VALUE}") float ropeTheta = D.ropeTheta();
    @Option(names = "--logit-scale", description = "output head scale; default ${DEFAULT-VALUE}") float logitScale = D.logitScale();
    @Option(names = "--pre-tokenizer", description = "deepseek-v3, deepseek-llm or default; default ${DEFAULT-VALUE}")
    String preTokenizer = D.preTokenizer();

    @Override
    public Integer call() throws Exception {
        SyntheticVocab vocab = null;
        if (tokenizer != null) {
            vocab = SyntheticVocab.of(HfTokenizer.load(tokenizer).tokenizer(), preTokenizer);
            if (command.commandLine().getParseResult().hasMatchedOption("--vocab-size") && vocabSize != vocab.tokens().size()) {
                throw new IllegalArgumentException("--vocab-size " + vocabSize + " differs from the " + vocab.tokens().size()
                        + " tokens of " + tokenizer.resolve(HfTokenizer.TOKENIZER_JSON) + "; leave it out");
            }
        }
        int vocabRows = vocab != null ? vocab.tokens().size() : vocabSize;
        SynthSpec spec = new SynthSpec(vocabRows, hidden, layers, heads, qLoraRank, kvLoraRank, qkNope, qkRope, vHead,
                ffDense, ffExpert, experts, expertsUsed, sharedExperts, denseLayers, contextLength, gating, weightsNorm,
                weightsScale, routerBias, yarnFactor, yarnOriginalContext, yarnLogMultiplier, ropeTheta, D.rmsEps(),
                type, logitScale, preTokenizer, seed);
        if (vocab == null) {
            vocab = SyntheticVocab.build(spec.vocabSize(), spec.preTokenizer());
        }
        boolean safetensors = switch (format) {
            case "gguf" -> false;
            case "safetensors" -> true;
            default -> throw new IllegalArgumentException("--format " + format + " is not a format (gguf, safetensors)");
        };
        if (!safetensors && shards != 1) {
            throw new IllegalArgumentException("--shards is for --format safetensors; a GGUF file is one file");
        }
        if (safetensors) {
            long t0 = System.nanoTime();
            SyntheticHfWriter.write(spec, vocab, out, new SyntheticHfWriter.Options(shards, false));
            long bytes;
            try (var files = Files.list(out)) {
                bytes = files.mapToLong(p -> p.toFile().length()).sum();
            }
            Log.info("wrote %s (%.1f MB in %d safetensors file%s) in %.1f s", out, bytes / 1e6, shards, shards == 1 ? "" : "s",
                    (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        if (qLoraRank == 0 && layers != 27) {
            Log.info("warning: llama.cpp b4916 treats only 27-layer deepseek2 models as q-lora-free; it will not load this file");
        }
        long t0 = System.nanoTime();
        SyntheticModelWriter.write(spec, vocab, out);
        Log.info("wrote %s (%.1f MB) in %.1f s", out, Files.size(out) / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
