package io.moeoperator.engine.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.Engine;
import io.moeoperator.engine.exec.EngineConfig;
import io.moeoperator.engine.exec.FinishReason;
import io.moeoperator.engine.exec.GenerationListener;
import io.moeoperator.engine.exec.GenerationRequest;
import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A group of ranks, each holding a share of the experts and calling the others through the
 * in-process transport, computes exactly (bit for bit) what one process holding every expert does.
 */
class ExpertParallelParityTest {
    @TempDir
    static Path dir;

    /** Softmax gating, shared expert, F32. */
    static final SynthSpec SOFTMAX = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4)
            .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
            .numExperts(8).numExpertsUsed(2).numSharedExperts(1).numDenseLeading(1).contextLength(256)
            .logitScale(4f).seed(3).build();
    /** Sigmoid gating with a selection bias, normalised and scaled weights, no shared expert, Q8_0; 10 experts (uneven shares). */
    static final SynthSpec SIGMOID = SOFTMAX.toBuilder().gating(GatingFunction.SIGMOID).routerBias(true)
            .expertWeightsNorm(true).expertWeightsScale(2.5f).numExperts(10).numExpertsUsed(3).numSharedExperts(0)
            .weightType(GgmlType.Q8_0).seed(11).build();
    /** F16, hidden 128, two shared experts, 12 experts of which 4 are used, no dense layer. */
    static final SynthSpec WIDE = SOFTMAX.toBuilder().hidden(128).numLayers(2).numDenseLeading(0).numExperts(12)
            .numExpertsUsed(4).numSharedExperts(2).weightType(GgmlType.F16).seed(5).build();

    static Path softmax;
    static Path sigmoid;
    static Path wide;

    @BeforeAll
    static void writeModels() throws Exception {
        softmax = dir.resolve("softmax.gguf");
        sigmoid = dir.resolve("sigmoid.gguf");
        wide = dir.resolve("wide.gguf");
        SyntheticModelWriter.write(SOFTMAX, softmax);
        SyntheticModelWriter.write(SIGMOID, sigmoid);
        SyntheticModelWriter.write(WIDE, wide);
    }

    /** Ranks of one group over the in-process transport, each with its own model copy. */
    static final class Ranks implements AutoCloseable {
        final InProcessExpertGroup group;
        final List<LoadedModel> models = new ArrayList<>();

        Ranks(Path model, int size, String plan, Duration timeout) {
            group = new InProcessExpertGroup(size);
            for (int r = 0; r < size; r++) {
                models.add(LoadedModel.open(model, 1,
                        new ExpertParallelism(r, size, plan, group.transport(r), timeout)));
            }
            for (int r = 0; r < size; r++) {
                group.transport(r).start(models.get(r).model()::computeExperts);
            }
        }

        Ranks(Path model, int size, String plan) {
            this(model, size, plan, Duration.ofSeconds(10));
        }

        DeepSeek2Model model(int rank) {
            return models.get(rank).model();
        }

        @Override
        public void close() {
            group.close();
            models.forEach(LoadedModel::close);
        }
    }

    static List<Arguments> groups() {
        return List.of(
                Arguments.of("softmax", 1, null), Arguments.of("softmax", 2, null), Arguments.of("softmax", 4, null),
                Arguments.of("sigmoid", 2, null), Arguments.of("sigmoid", 4, null), // 5+5; 3+3+2+2
                Arguments.of("sigmoid", 3, "0-1,2-6+0,7-9+3"),
                Arguments.of("wide", 2, "0-5+11,6-11+0-1"), Arguments.of("wide", 4, null));
    }

    static Path file(String name) {
        return switch (name) {
            case "softmax" -> softmax;
            case "sigmoid" -> sigmoid;
            default -> wide;
        };
    }

    /** The logits after a prompt and each greedy token, the sequence run on every rank in turn. */
    @ParameterizedTest(name = "{0} on {1} ranks, plan {2}")
    @MethodSource("groups")
    void logitsAreBitIdenticalToOneProcess(String name, int size, String plan) {
        Path path = file(name);
        try (LoadedModel single = LoadedModel.open(path, 1); Ranks ranks = new Ranks(path, size, plan)) {
            int[] prompt = single.tokenizer().encode("Experts are chosen per token, not per request", true, true);
            for (int r = 0; r < size; r++) {
                DeepSeek2Model rank = ranks.model(r);
                LatentKvCache expectedCache = single.model().newCache();
                LatentKvCache cache = rank.newCache();
                float[] expected = single.model().forward(prompt, expectedCache);
                float[] actual = rank.forward(prompt, cache);
                for (int step = 0; step < 8; step++) {
                    assertArrayEquals(expected, actual, name + ": rank " + r + " of " + size + ", step " + step);
                    int next = argmax(expected);
                    expected = single.model().forward(new int[] {next}, expectedCache);
                    actual = rank.forward(new int[] {next}, cache);
                }
            }
            if (size > 1) {
                for (int r = 0; r < size; r++) {
                    assertTrue(ranks.group.numServed(r) > 0, "rank " + r + " computed experts for its peers");
                }
            }
        }
    }

    /** Both ranks' engines run requests at once, so each serves the other mid-step: no deadlock, same tokens. */
    @Test
    void twoEnginesBatchingConcurrentlyGenerateWhatOneProcessDoes() throws Exception {
        String[] prompts = {"Once upon a time", "The quick brown fox", "def main():", "In 1969, three", "a", "Routing"};
        List<List<Integer>> expected = new ArrayList<>();
        List<String> expectedFinish = new ArrayList<>();
        try (LoadedModel single = LoadedModel.open(sigmoid, 1)) {
            for (String p : prompts) {
                GenerationResult r = single.generator().generate(p, 12, SamplingParams.greedy(), null);
                expected.add(Arrays.stream(r.generatedTokens()).boxed().toList());
                expectedFinish.add(r.finishReason());
            }
        }
        Ranks ranks = new Ranks(sigmoid, 2, null);
        List<Engine> engines = List.of(Engine.start(ranks.models.get(0), EngineConfig.defaults()),
                Engine.start(ranks.models.get(1), EngineConfig.defaults()));
        try {
            List<Tokens> results = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < prompts.length; i++) {
                    Engine e = engines.get((i + round) % 2);
                    Tokens t = new Tokens();
                    e.submit(new GenerationRequest("r" + round + i, e.tokenizer().encode(prompts[i], true, true), 12,
                            SamplingParams.greedy()), t);
                    results.add(t);
                }
            }
            for (int i = 0; i < results.size(); i++) {
                assertEquals(expectedFinish.get(i % prompts.length), results.get(i).done.get(60, TimeUnit.SECONDS).apiName());
                assertEquals(expected.get(i % prompts.length), results.get(i).tokens(), prompts[i % prompts.length]);
            }
            // Tokens are counted per logical expert on the rank that routed them: the two ranks' counts
            // add up to the single process's for the same work, none counted twice.
            long total = 0;
            for (Engine e : engines) {
                for (long[] layer : e.stats().expertTokens()) {
                    total += Arrays.stream(layer).sum();
                }
            }
            long routedPerToken = (long) SIGMOID.numExpertsUsed() * (SIGMOID.numLayers() - SIGMOID.numDenseLeading());
            assertEquals(0, total % routedPerToken);
            assertTrue(total > 0);
        } finally {
            engines.forEach(Engine::close);
            ranks.group.close();
        }
    }

    @Test
    void aRankLoadsOnlyTheExpertsItHolds() {
        try (LoadedModel single = LoadedModel.open(wide, 1); Ranks ranks = new Ranks(wide, 4, null)) {
            long all = single.model().routedExpertBytes();
            long perExpert = all / WIDE.numExperts();
            long sum = 0;
            for (int r = 0; r < 4; r++) {
                long held = ranks.model(r).routedExpertBytes();
                assertEquals(3 * perExpert, held, "rank " + r + " holds 3 of 12 experts");
                sum += held;
            }
            assertEquals(all, sum);
        }
        try (Ranks ranks = new Ranks(wide, 2, "0-5+11,6-11+0-1")) {
            long perExpert = ranks.model(0).routedExpertBytes() / 7;
            assertEquals(8 * perExpert, ranks.model(1).routedExpertBytes(), "6 own + 2 copies");
            assertEquals("0-5+11", ranks.model(0).shardPlan().describe(0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ranks.model(0).computeExperts(0, new int[] {7}, new int[] {1}, new float[WIDE.hidden()]));
            assertEquals("rank 0 does not hold expert 7 of layer 0", e.getMessage());
        }
    }

    @Test
    void aDownRankFailsTheStepAtOnceAndAHungOneAtTheDeadlineThenTheGroupRecovers() {
        try (LoadedModel single = LoadedModel.open(softmax, 1);
             Ranks ranks = new Ranks(softmax, 2, null, Duration.ofMillis(300))) {
            int[] prompt = single.tokenizer().encode("Hello, world", true, true);
            float[] expected = single.model().forward(prompt, single.model().newCache());
            DeepSeek2Model rank0 = ranks.model(0);

            ranks.group.setState(1, InProcessExpertGroup.State.DOWN);
            long t0 = System.nanoTime();
            ExpertPeerUnavailableException down = assertThrows(ExpertPeerUnavailableException.class,
                    () -> rank0.forward(prompt, rank0.newCache()));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(250), "no waiting for a rank that is down");
            assertEquals(1, down.peer());
            assertTrue(down.getMessage().contains("expert rank 1"), down.getMessage());

            ranks.group.setState(1, InProcessExpertGroup.State.HUNG);
            t0 = System.nanoTime();
            ExpertPeerUnavailableException hung = assertThrows(ExpertPeerUnavailableException.class,
                    () -> rank0.forward(prompt, rank0.newCache()));
            long waited = System.nanoTime() - t0;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(300) && waited < TimeUnit.SECONDS.toNanos(2), waited + " ns");
            assertTrue(hung.getMessage().matches("expert rank 1 did not answer layer \\d+ within 300 ms"), hung.getMessage());

            ranks.group.setState(1, InProcessExpertGroup.State.UP);
            assertArrayEquals(expected, rank0.forward(prompt, rank0.newCache()));
        }
    }

    /** The engine turns a lost rank into failed requests (which the server answers with 503), then serves again. */
    @Test
    void anEngineFailsTheAffectedRequestsAndStaysAlive() throws Exception {
        Ranks ranks = new Ranks(softmax, 2, null, Duration.ofMillis(500));
        try (Engine e = Engine.start(ranks.models.get(0), EngineConfig.defaults())) {
            ranks.group.setState(1, InProcessExpertGroup.State.DOWN);
            Tokens failed = new Tokens();
            e.submit(new GenerationRequest("x", e.tokenizer().encode("Routing", true, true), 8, SamplingParams.greedy()), failed);
            Throwable cause = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> failed.done.get(10, TimeUnit.SECONDS)).getCause();
            assertTrue(cause instanceof ExpertPeerUnavailableException, cause.toString());
            assertTrue(e.isAlive());

            ranks.group.setState(1, InProcessExpertGroup.State.UP);
            Tokens ok = new Tokens();
            e.submit(new GenerationRequest("y", e.tokenizer().encode("Routing", true, true), 8, SamplingParams.greedy()), ok);
            assertEquals(FinishReason.LENGTH, ok.done.get(30, TimeUnit.SECONDS));
            assertEquals(8, ok.tokens().size());
        } finally {
            ranks.group.close();
            ranks.models.get(1).close(); // the engine closed rank 0's
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static final class Tokens implements GenerationListener {
        final List<Integer> tokens = new ArrayList<>();
        final CompletableFuture<FinishReason> done = new CompletableFuture<>();
        final AtomicReference<RuntimeException> error = new AtomicReference<>();

        @Override
        public synchronized void onToken(int tokenId) {
            tokens.add(tokenId);
        }

        @Override
        public void onComplete(FinishReason reason, int promptTokens, int completionTokens) {
            done.complete(reason);
        }

        @Override
        public void onError(RuntimeException e) {
            error.set(e);
            done.completeExceptionally(e);
        }

        synchronized List<Integer> tokens() {
            return List.copyOf(tokens);
        }
    }
}
