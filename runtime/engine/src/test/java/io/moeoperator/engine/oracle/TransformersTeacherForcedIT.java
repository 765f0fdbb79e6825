package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.oracle.TransformersOracle.Model;
import io.moeoperator.engine.oracle.TransformersOracle.Reference;
import io.moeoperator.engine.oracle.TransformersOracle.TeacherForced;
import io.moeoperator.engine.sample.Sampler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BF16 and FP8 checkpoints (FP8 E4M3 with 128x128 block scales, as DeepSeek-V3 ships): feed the
 * engine transformers' own greedy sequences (8 prompts + 32 tokens, every variant) token by token
 * and require the engine's argmax to equal transformers' top-1 at >= 99 % of positions. The oracle
 * computes in F32 on the checkpoint's weights (BF16 upcast; FP8 dequantised), see
 * tests/oracles/make_transformers_oracle.py; for BF16 the agreement with transformers' own BF16
 * computation is printed too, for information.
 */
class TransformersTeacherForcedIT {
    static final double REQUIRED_AGREEMENT = 0.99;

    @ParameterizedTest
    @ValueSource(strings = {"bf16", "fp8"})
    void engineArgmaxFollowsTransformers(String dtype) {
        int agree = 0;
        int agreeBf16Compute = 0;
        int total = 0;
        for (Model m : TransformersOracle.index().ofDtype(dtype)) {
            Reference ref = TransformersOracle.reference(m);
            int modelAgree = 0;
            int modelAgreeBf16 = 0;
            int modelTotal = 0;
            try (LoadedModel engine = LoadedModel.open(TransformersOracle.modelDir(m), 2)) {
                DeepSeek2Model model = engine.model();
                for (TeacherForced seq : ref.teacherForced()) {
                    LatentKvCache cache = model.newCache();
                    for (int pos = 0; pos < seq.ids().length; pos++) {
                        int ours = Sampler.argmax(model.forward(new int[] {seq.ids()[pos]}, cache));
                        modelAgree += ours == seq.top1()[pos] ? 1 : 0;
                        if (seq.top1Bf16Compute() != null) {
                            modelAgreeBf16 += ours == seq.top1Bf16Compute()[pos] ? 1 : 0;
                        }
                        modelTotal++;
                    }
                }
            }
            System.out.printf("%-12s engine argmax = transformers' top-1 (%s) at %d/%d positions%s%n", m, ref.compute(),
                    modelAgree, modelTotal, dtype.equals("bf16")
                            ? String.format("; = transformers' BF16-compute top-1 at %d/%d", modelAgreeBf16, modelTotal) : "");
            agree += modelAgree;
            agreeBf16Compute += modelAgreeBf16;
            total += modelTotal;
        }
        double agreement = agree / (double) total;
        System.out.printf("teacher-forced agreement with transformers, %s weights: %d/%d = %.4f%s%n", dtype, agree, total,
                agreement, dtype.equals("bf16")
                        ? String.format(" (with transformers' BF16 compute: %d/%d = %.4f)", agreeBf16Compute, total,
                        agreeBf16Compute / (double) total) : "");
        assertTrue(total >= 600, "too few positions compared: " + total);
        assertTrue(agreement >= REQUIRED_AGREEMENT, dtype + ": engine argmax equals transformers' top-1 at only "
                + agree + "/" + total + " positions");
    }
}
