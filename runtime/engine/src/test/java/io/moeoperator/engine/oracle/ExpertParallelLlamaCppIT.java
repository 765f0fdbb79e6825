package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.InProcessExpertGroup;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.exec.Generator;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Expert-parallel groups (in-process transport) against llama.cpp directly: each rank of a group of
 * 2 and of 4 holding a share of the experts generates llama.cpp's greedy continuation.
 */
class ExpertParallelLlamaCppIT {

    static Stream<Arguments> groups() {
        return OracleConfigs.f32().entrySet().stream()
                .flatMap(e -> Stream.of(2, 4).map(size -> Arguments.of(e.getKey(), e.getValue(), size)));
    }

    @ParameterizedTest(name = "{0} on {2} ranks")
    @MethodSource("groups")
    void everyRankGeneratesLlamaCppsGreedyContinuation(String name, SynthSpec spec, int size) {
        Path file = OracleConfigs.model(name, spec);
        List<LoadedModel> ranks = new ArrayList<>();
        try (LlamaOracle llama = new LlamaOracle(file, OracleConfigs.CONTEXT);
             InProcessExpertGroup group = new InProcessExpertGroup(size)) {
            for (int r = 0; r < size; r++) {
                ranks.add(LoadedModel.open(file, 1, new ExpertParallelism(r, size, null, group.transport(r), Duration.ofSeconds(30))));
            }
            for (int r = 0; r < size; r++) {
                group.transport(r).start(ranks.get(r).model()::computeExperts);
            }
            for (int i = 0; i < OracleConfigs.PROMPTS.length; i++) {
                String prompt = OracleConfigs.PROMPTS[i];
                int r = i % size;
                String expected = String.join("", llama.greedyPieces(prompt, LlamaCppParityIT.GREEDY_TOKENS));
                Generator g = ranks.get(r).generator();
                assertEquals(expected, g.generate(prompt, LlamaCppParityIT.GREEDY_TOKENS, SamplingParams.greedy(), null).text(),
                        name + ", rank " + r + " of " + size + ": greedy continuation of \"" + prompt + "\"");
            }
        } finally {
            ranks.forEach(LoadedModel::close);
        }
    }
}
