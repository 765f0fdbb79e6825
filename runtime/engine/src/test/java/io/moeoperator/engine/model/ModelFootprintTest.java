package io.moeoperator.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.InProcessExpertGroup;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a loaded model reports as resident: the mapped file less other ranks' experts, plus the loader's copies. */
class ModelFootprintTest {
    @TempDir
    static Path dir;
    static Path model;
    /** 2 layers, 1 dense: experts in layer 1 only; Q8_0 so expert bytes are not simply 4 per weight. */
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(2).numHeads(4)
            .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
            .numExperts(8).numExpertsUsed(2).numSharedExperts(1).numDenseLeading(1).contextLength(256)
            .weightType(GgmlType.Q8_0).seed(3).build();

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("m.gguf");
        SyntheticModelWriter.write(SPEC, model);
    }

    /** Per layer and head: W_UK^T (kvLora x qkNope) and W_UV (vHead x kvLora) in F32. */
    static final long NATIVE = 2L * 4 * (32 * 16 + 16 * 32) * Float.BYTES;

    @Test
    void oneProcessMapsTheWholeFile() throws Exception {
        try (LoadedModel m = LoadedModel.open(model, 1)) {
            assertEquals(new ModelFootprint(Files.size(model), NATIVE), m.footprint());
        }
    }

    @Test
    void anExpertParallelRankLeavesOutTheOtherRanksExperts() throws Exception {
        long expertBytes;
        try (GgufFile f = GgufFile.open(model)) {
            expertBytes = 0;
            for (String proj : new String[] {"gate", "up", "down"}) {
                expertBytes += f.tensorInfo("blk.1.ffn_" + proj + "_exps.weight").numBytes();
            }
        }
        try (InProcessExpertGroup group = new InProcessExpertGroup(2)) {
            // Rank 0 holds experts 0-5 (6 of 8) under this plan, rank 1 holds 6-7.
            try (LoadedModel rank0 = LoadedModel.open(model, 1, new ExpertParallelism(0, 2, "0-5,6-7", group.transport(0), Duration.ofSeconds(1)));
                 LoadedModel rank1 = LoadedModel.open(model, 1, new ExpertParallelism(1, 2, "0-5,6-7", group.transport(1), Duration.ofSeconds(1)))) {
                long file = Files.size(model);
                assertEquals(new ModelFootprint(file - expertBytes / 8 * 2, NATIVE), rank0.footprint());
                assertEquals(new ModelFootprint(file - expertBytes / 8 * 6, NATIVE), rank1.footprint());
            }
        }
    }
}
