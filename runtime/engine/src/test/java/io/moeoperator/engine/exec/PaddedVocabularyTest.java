package io.moeoperator.engine.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.safetensors.SafetensorsFile;
import io.moeoperator.engine.sample.Sampler;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.engine.synth.SyntheticVocab;
import io.moeoperator.engine.tokenizer.HfTokenizerWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output head with more rows than the tokenizer has tokens (DeepSeek-V3: 129,280 rows for 128,815
 * tokens): the extra rows are never sampled, by the generator or the batching engine, greedy or not,
 * even when they hold the largest logits.
 */
class PaddedVocabularyTest {
    static final int TOKENS = 320;
    static final int ROWS = 352;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeModel() throws Exception {
        SynthSpec spec = SynthSpec.builder().vocabSize(ROWS).hidden(64).numLayers(2).numHeads(2).qLoraRank(32)
                .kvLoraRank(32).qkNope(16).qkRope(8).vHead(16).ffDense(64).ffExpert(32).numExperts(4)
                .numExpertsUsed(2).numDenseLeading(1).contextLength(128).weightType(GgmlType.F32).build();
        SyntheticHfWriter.write(spec, SyntheticVocab.build(TOKENS, spec.preTokenizer()), dir,
                SyntheticHfWriter.Options.DEFAULT);
        makePaddingRowsWin(dir.resolve("model.safetensors"), spec.hidden());
    }

    /**
     * Padding row {@code TOKENS + 2k} becomes 1000 x token k's row and {@code TOKENS + 2k + 1} its
     * negation: whatever the hidden state, one of them has a far larger logit than any token.
     */
    static void makePaddingRowsWin(Path file, int hidden) throws Exception {
        float[] head;
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            MemorySegment data = f.data(f.tensors().get("lm_head.weight"));
            head = data.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            at = data.address() - f.mapping().address();
        }
        for (int pad = TOKENS; pad < ROWS; pad++) {
            int token = (pad - TOKENS) / 2;
            float sign = (pad - TOKENS) % 2 == 0 ? 1000f : -1000f;
            for (int i = 0; i < hidden; i++) {
                head[pad * hidden + i] = sign * head[token * hidden + i];
            }
        }
        ByteBuffer bytes = ByteBuffer.allocate(head.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(head);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(bytes, at);
        }
    }

    @Test
    void thePaddingWouldWinButIsNeverSampled() throws Exception {
        try (LoadedModel m = LoadedModel.open(dir, 1)) {
            assertEquals(TOKENS, m.tokenizer().vocabSize());
            assertEquals(ROWS, m.model().config().vocabSize());
            int[] prompt = m.tokenizer().encode("Once upon a time", true, true);
            float[] logits = m.generator().prefill(prompt, m.model().newCache());
            assertEquals(ROWS, logits.length);
            assertTrue(Sampler.argmax(logits) >= TOKENS, "the padding rows hold the largest logits");

            for (SamplingParams params : List.of(SamplingParams.greedy(), new SamplingParams(1.5f, 0, 1f, 7))) {
                GenerationResult r = m.generator().generate("Once upon a time", 24, params, null);
                assertTrue(Arrays.stream(r.generatedTokens()).allMatch(id -> id < TOKENS),
                        params + ": " + Arrays.toString(r.generatedTokens()));
            }
        }
    }

    @Test
    void aTokenizerLargerThanTheWeightsIsRefused(@TempDir Path other) throws Exception {
        SynthSpec spec = SynthSpec.builder().vocabSize(TOKENS).hidden(64).numLayers(1).numHeads(2).qLoraRank(0)
                .kvLoraRank(32).qkNope(16).qkRope(8).vHead(16).ffDense(64).ffExpert(32).numExperts(4)
                .numExpertsUsed(2).numDenseLeading(1).contextLength(64).build();
        SyntheticHfWriter.write(spec, other, SyntheticHfWriter.Options.DEFAULT);
        HfTokenizerWriter.write(SyntheticVocab.build(ROWS, spec.preTokenizer()).tokenizer(), Optional.empty(), other);
        ModelFileException e = assertThrows(ModelFileException.class, () -> LoadedModel.open(other, 1).close());
        assertEquals("model " + other.getFileName() + ": tokenizer.json has " + ROWS + " tokens but the weights only "
                + TOKENS + " in config.json's vocab_size (the embedding has a row per token)", e.getMessage());
    }

    @Test
    void theBatchingEngineSamplesOnlyTokens() throws Exception {
        try (Engine e = Engine.start(LoadedModel.open(dir, 1), EngineConfig.defaults());
             LoadedModel m = LoadedModel.open(dir, 1)) {
            Collector c = new Collector();
            int[] prompt = e.tokenizer().encode("Once upon a time", true, true);
            e.submit(new GenerationRequest("r", prompt, 24, SamplingParams.greedy()), c);
            assertEquals(FinishReason.LENGTH, c.await());
            GenerationResult expected = m.generator().generate("Once upon a time", 24, SamplingParams.greedy(), null);
            assertEquals(Arrays.stream(expected.generatedTokens()).boxed().toList(), c.tokens());
            assertTrue(c.tokens().stream().allMatch(id -> id < TOKENS), c.tokens().toString());
        }
    }
}
