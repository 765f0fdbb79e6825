package io.moeoperator.engine.model;

/**
 * Hyper-parameters of a DeepSeek-style MoE model (multi-head latent attention; dense or routed +
 * shared experts), validated on construction. Format-neutral: {@code gguf.GgufModelConfig} reads
 * them from GGUF metadata with llama.cpp's keys and meaning, {@code safetensors.HfConfig} from a
 * Hugging Face {@code config.json} with DeepSeek's.
 *
 * @param qLoraRank       0 when queries use one plain projection (DeepSeek-V2-Lite), else the rank of
 *                        the q_a -> norm -> q_b low-rank path
 * @param numDenseLeading leading layers with a dense SwiGLU MLP instead of experts ({@code first_k_dense_replace})
 * @param moeLayerFreq    of the later layers, those whose index is a multiple of this have experts
 *                        ({@code moe_layer_freq}; 1 in every published checkpoint), the others a dense MLP
 * @param tiedEmbeddings  the output head is the token embedding ({@code tie_word_embeddings})
 */
public record ModelConfig(
        String name, int vocabSize, int contextLength, int hidden, int numLayers, int numHeads,
        int ffDense, int ffExpert, int numExperts, int numExpertsUsed, int numSharedExperts,
        int numDenseLeading, int moeLayerFreq, int qLoraRank, int kvLoraRank, int qkNope, int qkRope, int vHead,
        float rmsEps, float ropeTheta, RopeScaling ropeScaling, RopePairing ropePairing,
        ExpertRouting routing, boolean tiedEmbeddings) {

    public ModelConfig {
        require(vocabSize > 0, "vocabulary size", vocabSize);
        require(hidden > 0, "hidden size", hidden);
        require(numLayers > 0, "layer count", numLayers);
        require(numHeads > 0, "attention head count", numHeads);
        require(kvLoraRank > 0, "kv_lora_rank", kvLoraRank);
        require(qkRope > 0 && qkRope % 2 == 0, "qk_rope_head_dim (even, > 0)", qkRope);
        require(qkNope > 0, "qk_nope_head_dim", qkNope);
        require(vHead > 0, "v_head_dim", vHead);
        require(numDenseLeading >= 0 && numDenseLeading <= numLayers, "leading dense layers (0..layers)", numDenseLeading);
        require(moeLayerFreq >= 1, "moe_layer_freq", moeLayerFreq);
        boolean anyMoe = false;
        boolean anyDense = false;
        for (int l = 0; l < numLayers; l++) {
            boolean moe = l >= numDenseLeading && l % moeLayerFreq == 0;
            anyMoe |= moe;
            anyDense |= !moe;
        }
        if (anyMoe) {
            require(numExperts > 0, "routed expert count", numExperts);
            require(numExpertsUsed > 0 && numExpertsUsed <= numExperts,
                    "experts per token (1..experts=" + numExperts + ")", numExpertsUsed);
            require(ffExpert > 0, "expert feed-forward size", ffExpert);
            require(numSharedExperts >= 0, "shared expert count", numSharedExperts);
            require(numExperts % routing.numGroups() == 0, "expert group count (dividing " + numExperts + " experts)",
                    routing.numGroups());
            int groupSize = numExperts / routing.numGroups();
            require(numExpertsUsed <= routing.topkGroup() * groupSize, "experts per token (at most topk_group * group size = "
                    + routing.topkGroup() * groupSize + ")", numExpertsUsed);
            if (routing.selection() == ExpertRouting.Selection.GROUP_TOP2_SUM) {
                require(groupSize >= 2, "experts per group (noaux_tc scores a group by its best two)", groupSize);
            }
        }
        if (anyDense) {
            require(ffDense > 0, "dense feed-forward size", ffDense);
        }
        require(qLoraRank >= 0, "q_lora_rank", qLoraRank);
        require(contextLength > 0, "context length", contextLength);
        require(rmsEps > 0, "RMSNorm epsilon", rmsEps);
        require(ropeTheta > 0, "rope theta", ropeTheta);
    }

    private static void require(boolean ok, String what, Number value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid hyper-parameter " + what + ": " + value);
        }
    }

    public int qkHead() {
        return qkNope + qkRope;
    }

    /** Whether layer {@code layer} has routed experts (else a dense SwiGLU MLP), as DeepSeek's decoder layer decides. */
    public boolean isMoeLayer(int layer) {
        return numExperts > 0 && layer >= numDenseLeading && layer % moeLayerFreq == 0;
    }

    /**
     * Attention softmax scale: {@code m^2 / sqrt(qk_nope + qk_rope)} with YaRN's magnitude correction
     * m ({@link RopeScaling#attentionMscale()}; 1 without YaRN). In float, as llama.cpp computes it.
     */
    public float kqScale() {
        float mscale = ropeScaling.attentionMscale();
        return mscale * mscale / (float) Math.sqrt(qkHead());
    }
}
