package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.WeightMatrix;

/**
 * One transformer block's weights. Shapes are (rows, cols) of the stored matrices, i.e. (out, in).
 * Fields that do not apply to a layer are null (q-lora path vs plain q; dense MLP vs experts).
 */
public record LayerWeights(
        float[] attnNorm,            // (hidden)
        WeightMatrix q,              // (numHeads * qkHead, hidden), only without q-lora
        WeightMatrix qA,             // (qLoraRank, hidden)
        float[] qANorm,              // (qLoraRank)
        WeightMatrix qB,             // (numHeads * qkHead, qLoraRank)
        WeightMatrix kvAMqa,         // (kvLoraRank + qkRope, hidden): latent c_kv then the shared k_pe
        float[] kvANorm,             // (kvLoraRank)
        GgmlType latentRounding,     // attn_kv_b's activation type: the cached latent is rounded as kv_b's input is
        WeightMatrix[] ukT,          // per head (kvLoraRank, qkNope) F32: W_UK^T, absorbs the key up-projection into q
        WeightMatrix[] uv,           // per head (vHead, kvLoraRank) F32: W_UV, rows of attn_kv_b
        WeightMatrix attnOutput,     // (hidden, numHeads * vHead)
        float[] ffnNorm,             // (hidden)
        WeightMatrix ffnGate,        // (ffDense, hidden), dense layers
        WeightMatrix ffnUp,          // (ffDense, hidden)
        WeightMatrix ffnDown,        // (hidden, ffDense)
        WeightMatrix router,         // (numExperts, hidden), MoE layers
        float[] routerBias,          // (numExperts) selection-only bias (sigmoid gating), or null
        WeightMatrix[] expertGate,   // numExperts x (ffExpert, hidden); null where this rank does not hold the expert
        WeightMatrix[] expertUp,     // numExperts x (ffExpert, hidden)
        WeightMatrix[] expertDown,   // numExperts x (hidden, ffExpert)
        WeightMatrix sharedGate,     // (numShared * ffExpert, hidden), or null without shared experts
        WeightMatrix sharedUp,       // (numShared * ffExpert, hidden)
        WeightMatrix sharedDown) {   // (hidden, numShared * ffExpert)

    public boolean hasQLora() {
        return qA != null;
    }

    public boolean isMoe() {
        return router != null;
    }
}
