package io.moeoperator.engine.model;

/** How router logits become expert probabilities; the ids are GGUF's {@code expert_gating_func}. */
public enum GatingFunction {
    /** DeepSeek-V2: softmax over all experts. */
    SOFTMAX(1),
    /** DeepSeek-V3: independent sigmoids; selection adds a per-expert bias. */
    SIGMOID(2);

    private final int ggufId;

    GatingFunction(int ggufId) {
        this.ggufId = ggufId;
    }

    public int ggufId() {
        return ggufId;
    }

    public static GatingFunction fromGgufId(long id) {
        for (GatingFunction g : values()) {
            if (g.ggufId == id) {
                return g;
            }
        }
        throw new IllegalArgumentException("expert_gating_func " + id + " is not supported (1 = softmax, 2 = sigmoid)");
    }
}
