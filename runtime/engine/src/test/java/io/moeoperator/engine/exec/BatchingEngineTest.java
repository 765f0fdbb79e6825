package io.moeoperator.engine.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingEngineTest {
    @TempDir
    static Path dir;
    static Path model;

    static final String[] PROMPTS = {
        "Once upon a time", "The quick brown fox", "def main():", "In 1969, three", "Experts are chosen",
        "SELECT name FROM", "Q: Why is the sky blue?", "a", "Hello, world", "tabs\tand\nlines", "12345", "It's",
        "Mixture of experts models", "  spaces  ", "The end.", "Routing",
    };

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("m.gguf");
        SyntheticModelWriter.write(SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4)
                .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
                .numExperts(8).numExpertsUsed(2).contextLength(256).logitScale(4f).seed(3).build(), model);
    }

    static Engine engine(EngineConfig config) {
        return Engine.start(LoadedModel.open(model, 2), config);
    }

    static GenerationRequest greedy(Engine e, String id, String prompt, int maxTokens) {
        return new GenerationRequest(id, e.tokenizer().encode(prompt, true, true), maxTokens, SamplingParams.greedy());
    }

    @Test
    void aRequestAloneGeneratesWhatTheGeneratorDoes() throws Exception {
        try (Engine e = engine(EngineConfig.defaults()); LoadedModel m = LoadedModel.open(model, 2)) {
            for (String prompt : List.of(PROMPTS).subList(0, 4)) {
                Collector c = new Collector();
                e.submit(greedy(e, "r", prompt, 24), c);
                assertEquals(FinishReason.LENGTH, c.await());
                GenerationResult expected = m.generator().generate(prompt, 24, SamplingParams.greedy(), null);
                assertEquals(Arrays.stream(expected.generatedTokens()).boxed().toList(), c.tokens(), prompt);
                assertEquals(expected.promptTokens().length, c.promptTokens);
                assertEquals(24, c.completionTokens);
            }
        }
    }

    /** The contract of continuous batching: other requests in the batch change nothing. */
    @Test
    void sixteenConcurrentRequestsEqualTheSameRequestsAlone() throws Exception {
        List<List<Integer>> alone = new ArrayList<>();
        try (Engine e = engine(EngineConfig.defaults())) {
            for (String prompt : PROMPTS) {
                Collector c = new Collector();
                e.submit(greedy(e, prompt, prompt, 20), c);
                c.await();
                alone.add(c.tokens());
            }
        }
        // Small steps so prefill chunks and decodes of different requests share batches.
        try (Engine e = engine(new EngineConfig(16, 24, 4, 8L << 20, 64))) {
            List<Collector> together = new ArrayList<>();
            for (String prompt : PROMPTS) {
                Collector c = new Collector();
                e.submit(greedy(e, prompt, prompt, 20), c);
                together.add(c);
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                together.get(i).await();
                assertEquals(alone.get(i), together.get(i).tokens(), "request \"" + PROMPTS[i] + "\"");
            }
            assertEquals(0.0, e.stats().kvCacheUsage(), "all blocks returned");
        }
    }

    @Test
    void preemptionUnderATinyCacheStillGivesTheSameTokens() throws Exception {
        List<List<Integer>> alone = new ArrayList<>();
        try (Engine e = engine(EngineConfig.defaults())) {
            for (String prompt : List.of(PROMPTS).subList(0, 6)) {
                Collector c = new Collector();
                e.submit(greedy(e, prompt, prompt, 30), c);
                c.await();
                alone.add(c.tokens());
            }
        }
        // Room for about two sequences at a time: the others wait or get preempted and recomputed.
        long bytesPerToken = 3L * (32 + 16) * 4;
        try (Engine e = engine(new EngineConfig(6, 64, 4, bytesPerToken * 4 * 24, 64))) {
            List<Collector> together = new ArrayList<>();
            for (String prompt : List.of(PROMPTS).subList(0, 6)) {
                Collector c = new Collector();
                e.submit(greedy(e, prompt, prompt, 30), c);
                together.add(c);
            }
            for (int i = 0; i < together.size(); i++) {
                assertEquals(FinishReason.LENGTH, together.get(i).await());
                assertEquals(alone.get(i), together.get(i).tokens(), "request " + i);
            }
        }
    }

    @Test
    void aRepeatedPromptReusesCachedBlocksAndGeneratesTheSame() throws Exception {
        try (Engine e = engine(new EngineConfig(4, 64, 4, 8L << 20, 16))) {
            String prompt = "Mixture of experts models route every token to a few experts";
            Collector first = new Collector();
            e.submit(greedy(e, "1", prompt, 12), first);
            first.await();
            assertEquals(0, e.stats().prefixCacheHitTokens());
            Collector second = new Collector();
            e.submit(greedy(e, "2", prompt, 12), second);
            second.await();
            assertEquals(first.tokens(), second.tokens());
            int promptTokens = second.promptTokens;
            assertEquals((promptTokens - 1) / 4 * 4, e.stats().prefixCacheHitTokens(), "every full block but the last token's");
        }
    }

    @Test
    void cancellingFreesTheCacheAtOnce() throws Exception {
        try (Engine e = engine(EngineConfig.defaults())) {
            Collector c = new Collector();
            RequestHandle h = e.submit(greedy(e, "c", "Once upon a time", 200), c);
            while (c.tokens().isEmpty()) {
                Thread.sleep(1);
            }
            assertTrue(e.stats().kvCacheUsage() > 0);
            h.cancel();
            assertEquals(FinishReason.CANCELLED, c.await());
            assertTrue(c.completionTokens < 200);
            assertEquals(0.0, e.stats().kvCacheUsage());
            assertEquals(0, e.stats().running());
        }
    }

    @Test
    void badRequestsAreRejectedAtSubmit() {
        try (Engine e = engine(new EngineConfig(1, 16, 4, 8L << 20, 1))) {
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> e.submit(greedy(e, "x", "hello", 300), new Collector()));
            assertTrue(tooLong.getMessage().contains("exceed the model's context length of 256"), tooLong.getMessage());
            IllegalArgumentException badId = assertThrows(IllegalArgumentException.class, () -> e.submit(
                    new GenerationRequest("x", new int[] {5, 9999}, 4, SamplingParams.greedy()), new Collector()));
            assertTrue(badId.getMessage().contains("token id 9999 is outside the vocabulary"), badId.getMessage());
        }
    }

    @Test
    void aFullQueueRefusesWithEngineFull() throws Exception {
        try (Engine e = engine(new EngineConfig(1, 16, 4, 8L << 20, 1))) {
            List<Collector> accepted = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 8; i++) {
                try {
                    Collector c = new Collector();
                    e.submit(greedy(e, "q" + i, "Once upon a time", 50), c);
                    accepted.add(c);
                } catch (EngineFullException full) {
                    refused++;
                }
            }
            assertTrue(refused > 0, "one running and one waiting at most: some of 8 must be refused");
            for (Collector c : accepted) {
                assertEquals(FinishReason.LENGTH, c.await());
            }
        }
    }

    @Test
    void expertLoadIsCountedPerLayer() throws Exception {
        try (Engine e = engine(EngineConfig.defaults())) {
            Collector c = new Collector();
            e.submit(greedy(e, "x", "Once upon a time", 8), c);
            c.await();
            long[][] load = e.stats().expertTokens();
            assertEquals(0, Arrays.stream(load[0]).sum(), "layer 0 is dense");
            // Every computed token picks 2 experts in each MoE layer.
            long tokens = c.promptTokens + c.completionTokens - 1;
            assertEquals(2 * tokens, Arrays.stream(load[1]).sum());
        }
    }
}
