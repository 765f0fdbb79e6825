package io.moeoperator.engine.model;

/**
 * What a weight tensor is for in the model, independent of what a file format calls it. Matrices
 * are Linear weights (rows = out, cols = in); the vector roles are 1-D. Per-layer roles need a layer
 * index; the expert roles also an expert index.
 */
public enum TensorRole {
    TOKEN_EMBEDDING(false),  // (vocab, hidden)
    OUTPUT_NORM(false),      // (hidden)
    OUTPUT(false),           // (vocab, hidden)
    ATTN_NORM(true),         // (hidden)
    Q(true),                 // (numHeads * qkHead, hidden): plain query projection (no q-lora)
    Q_A(true),               // (qLoraRank, hidden)
    Q_A_NORM(true),          // (qLoraRank)
    Q_B(true),               // (numHeads * qkHead, qLoraRank)
    KV_A_MQA(true),          // (kvLoraRank + qkRope, hidden): latent then the shared rotary key
    KV_A_NORM(true),         // (kvLoraRank)
    KV_B(true),              // (numHeads * (qkNope + vHead), kvLoraRank): per head [k_nope | v]
    ATTN_OUTPUT(true),       // (hidden, numHeads * vHead)
    FFN_NORM(true),          // (hidden)
    DENSE_GATE(true),        // (ffDense, hidden)
    DENSE_UP(true),          // (ffDense, hidden)
    DENSE_DOWN(true),        // (hidden, ffDense)
    ROUTER(true),            // (numExperts, hidden)
    ROUTER_BIAS(true),       // (numExperts): selection-only bias
    EXPERT_GATE(true),       // per expert (ffExpert, hidden)
    EXPERT_UP(true),         // per expert (ffExpert, hidden)
    EXPERT_DOWN(true),       // per expert (hidden, ffExpert)
    SHARED_GATE(true),       // (numShared * ffExpert, hidden)
    SHARED_UP(true),         // (numShared * ffExpert, hidden)
    SHARED_DOWN(true);       // (hidden, numShared * ffExpert)

    private final boolean perLayer;

    TensorRole(boolean perLayer) {
        this.perLayer = perLayer;
    }

    public boolean perLayer() {
        return perLayer;
    }

    public boolean perExpert() {
        return this == EXPERT_GATE || this == EXPERT_UP || this == EXPERT_DOWN;
    }
}
