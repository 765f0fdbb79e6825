package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.util.List;

/**
 * The deepseek2 forward pass as llama.cpp's graph computes it: for each block, RMSNorm -> MLA
 * attention -> residual -> RMSNorm -> dense MLP or (routed + shared experts) -> residual; then the
 * output norm and head. Weights are views of the mapped file; no state lives here but the tables.
 */
public final class DeepSeek2Model {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final TensorOps ops;
    private final MlaAttention attention;
    private final MoeFeedForward feedForward;
    private final ExpertLoad expertLoad;

    public DeepSeek2Model(GgufFile file, TensorOps ops) {
        this.config = ModelConfig.fromGguf(file.metadata(), file.path().getFileName().toString());
        this.weights = ModelWeights.load(file, config);
        this.ops = ops;
        Rope rope = new Rope(config.qkRope(), config.ropeTheta(), config.ropeScaling());
        this.attention = new MlaAttention(config, ops, rope);
        this.expertLoad = new ExpertLoad(config.numLayers(), Math.max(0, config.numExperts()));
        this.feedForward = new MoeFeedForward(config, ops, expertLoad);
    }

    /** Tokens routed to each expert so far, counted as they are computed. */
    public ExpertLoad expertLoad() {
        return expertLoad;
    }

    public ModelConfig config() {
        return config;
    }

    public LatentKvCache newCache() {
        return new LatentKvCache(config);
    }

    /**
     * Runs {@code tokens} at the cache's next positions, appends them to the cache, and returns the
     * logits (vocab) that follow the last of them.
     */
    public float[] forward(int[] tokens, LatentKvCache cache) {
        int startPos = cache.length();
        cache.reserve(startPos + tokens.length);
        ForwardBatch batch = new ForwardBatch(tokens,
                List.of(new ForwardBatch.Segment(0, tokens.length, startPos, cache, true)));
        float[] logits = forward(batch);
        cache.advance(tokens.length);
        return logits;
    }

    /**
     * Runs a batch of segments (each continuing one sequence whose cache rows are reserved) and
     * returns, for each segment that wants them in order, the logits after its last token:
     * (numWanted, vocab).
     */
    public float[] forward(ForwardBatch batch) {
        int n = batch.numTokens();
        int hidden = config.hidden();
        float[] x = embed(batch.tokens()); // (n, hidden) residual stream
        float[] xn = new float[n * hidden];
        for (int l = 0; l < config.numLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            normRows(x, w.attnNorm(), xn, n);
            float[] attn = attention.forward(w, l, xn, batch);
            for (int i = 0; i < x.length; i++) {
                x[i] = attn[i] + x[i];
            }
            normRows(x, w.ffnNorm(), xn, n);
            float[] ffn = w.isMoe() ? feedForward.forward(w, l, xn, n) : feedForward.dense(w, xn, n);
            for (int i = 0; i < x.length; i++) {
                x[i] = ffn[i] + x[i];
            }
        }
        List<ForwardBatch.Segment> wanted = batch.segments().stream().filter(ForwardBatch.Segment::wantLogits).toList();
        float[] last = new float[wanted.size() * hidden]; // (numWanted, hidden)
        for (int i = 0; i < wanted.size(); i++) {
            ForwardBatch.Segment seg = wanted.get(i);
            ops.rmsNorm(x, (seg.start() + seg.count() - 1) * hidden, weights.outputNorm(), config.rmsEps(),
                    last, i * hidden, hidden);
        }
        float[] logits = new float[wanted.size() * config.vocabSize()];
        if (!wanted.isEmpty()) {
            ops.matmul(weights.output(), last, logits, wanted.size());
        }
        return logits;
    }

    private float[] embed(int[] tokens) {
        WeightMatrix e = weights.tokenEmbedding();
        float[] x = new float[tokens.length * config.hidden()];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary (0.." + (config.vocabSize() - 1) + ")");
            }
            GgmlCodec.decode(e.type(), e.data(), (long) id * e.cols(), x, t * config.hidden(), config.hidden());
        }
        return x;
    }

    private void normRows(float[] x, float[] weight, float[] out, int n) {
        int hidden = config.hidden();
        for (int t = 0; t < n; t++) {
            ops.rmsNorm(x, t * hidden, weight, config.rmsEps(), out, t * hidden, hidden);
        }
    }
}
