package io.moeoperator.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.moeoperator.engine.exec.Engine;
import io.moeoperator.engine.exec.EngineConfig;
import io.moeoperator.engine.exec.FinishReason;
import io.moeoperator.engine.exec.GenerationListener;
import io.moeoperator.engine.exec.GenerationRequest;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logit biases through the batching engine: they change their own request's tokens as the sampler
 * promises, and nothing of the other requests sharing its batches.
 */
class LogitBiasEngineTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("m.gguf");
        SyntheticModelWriter.write(SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4)
                .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
                .numExperts(8).numExpertsUsed(2).contextLength(256).logitScale(4f).seed(3).build(), model);
    }

    @Test
    void biasedRequestsChangeOnlyThemselvesInABatch() throws Exception {
        List<SamplingParams> params = new ArrayList<>();
        List<Integer> unbiased;
        int forced;
        try (Engine e = Engine.start(LoadedModel.open(model, 2), EngineConfig.defaults())) {
            forced = e.tokenizer().tokenId("e");
            unbiased = run(e, SamplingParams.greedy());
            params.add(SamplingParams.greedy());
            params.add(SamplingParams.greedy().withLogitBias(Map.of(unbiased.get(0), -100f)));
            params.add(SamplingParams.greedy().withLogitBias(Map.of(forced, 100f)));
            params.add(new SamplingParams(1f, 0, 1f, 9, Map.of(unbiased.get(1), Float.NEGATIVE_INFINITY)));
        }
        List<List<Integer>> alone = new ArrayList<>();
        try (Engine e = Engine.start(LoadedModel.open(model, 2), EngineConfig.defaults())) {
            for (SamplingParams p : params) {
                alone.add(run(e, p));
            }
        }
        assertEquals(unbiased, alone.get(0));
        assertNotEquals(unbiased.get(0), alone.get(1).get(0), "a -100 bias bans the greedy choice");
        assertEquals(List.of(forced, forced, forced, forced, forced, forced, forced, forced, forced, forced,
                forced, forced), alone.get(2), "a +100 bias forces its token");
        assertFalse(alone.get(3).contains(unbiased.get(1)), "-Infinity bans the token when sampling too");

        // Small steps so prefill chunks and decodes of the four requests share batches.
        try (Engine e = Engine.start(LoadedModel.open(model, 2), new EngineConfig(16, 24, 4, 8L << 20, 64))) {
            List<Listener> together = new ArrayList<>();
            for (SamplingParams p : params) {
                together.add(submit(e, p));
            }
            for (int i = 0; i < params.size(); i++) {
                assertEquals(alone.get(i), together.get(i).await(), "request " + i + " in a batch");
            }
        }
    }

    private static List<Integer> run(Engine e, SamplingParams p) throws Exception {
        return submit(e, p).await();
    }

    private static Listener submit(Engine e, SamplingParams p) {
        Listener l = new Listener();
        e.submit(new GenerationRequest("r", e.tokenizer().encode("Once upon a time", true, true), 12, p), l);
        return l;
    }

    private static final class Listener implements GenerationListener {
        private final List<Integer> tokens = new ArrayList<>();
        private final CompletableFuture<FinishReason> done = new CompletableFuture<>();

        @Override
        public synchronized void onToken(int tokenId) {
            tokens.add(tokenId);
        }

        @Override
        public void onComplete(FinishReason reason, int promptTokens, int completionTokens) {
            done.complete(reason);
        }

        @Override
        public void onError(RuntimeException error) {
            done.completeExceptionally(error);
        }

        List<Integer> await() throws Exception {
            done.get(60, TimeUnit.SECONDS);
            synchronized (this) {
                return List.copyOf(tokens);
            }
        }
    }
}
