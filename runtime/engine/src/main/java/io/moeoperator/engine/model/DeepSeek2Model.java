package io.moeoperator.engine.model;

import io.moeoperator.engine.ep.ExpertCompute;
import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.ShardPlan;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.util.List;

/**
 * The DeepSeek-V2/V3 forward pass as llama.cpp's deepseek2 graph computes it: for each block, RMSNorm -> MLA
 * attention -> residual -> RMSNorm -> dense MLP or (routed + shared experts) -> residual; then the
 * output norm and head. Weights are views of the mapped files, whatever their format; no state
 * lives here but the tables.
 */
public final class DeepSeek2Model {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final TensorOps ops;
    private final MlaAttention attention;
    private final MoeFeedForward feedForward;
    private final ExpertLoad expertLoad;
    private final ShardPlan plan;
    private final int rank;
    private final ModelFootprint footprint;

    public DeepSeek2Model(WeightSource source, TensorOps ops) {
        this(source, ops, ExpertParallelism.SINGLE);
    }

    /**
     * One rank's copy of the model: everything but the routed experts, of which only those the
     * shard plan gives this rank are loaded; tokens routed to the others go through {@code ep}'s
     * transport. The source may be any format; the model reads it only by role.
     */
    public DeepSeek2Model(WeightSource source, TensorOps ops, ExpertParallelism ep) {
        this.config = source.config();
        int numExperts = Math.max(0, config.numExperts());
        this.plan = ep.plan(numExperts);
        this.rank = ep.rank();
        this.weights = ModelWeights.load(source, e -> plan.holds(rank, e));
        this.ops = ops;
        Rope rope = new Rope(config.qkRope(), config.ropeTheta(), config.ropeScaling());
        this.attention = new MlaAttention(config, ops, rope);
        this.expertLoad = new ExpertLoad(config.numLayers(), numExperts);
        this.feedForward = new MoeFeedForward(config, ops, expertLoad, ep, plan);
        this.footprint = new ModelFootprint(source.fileBytes() - othersExpertFileBytes(source), weights.nativeBytes());
    }

    /** Bytes in the files of the routed experts other ranks hold, which this copy never touches. */
    private long othersExpertFileBytes(WeightSource source) {
        long bytes = 0;
        for (int l = 0; l < config.numLayers(); l++) {
            if (config.isMoeLayer(l)) {
                for (int e = 0; e < config.numExperts(); e++) {
                    if (!plan.holds(rank, e)) {
                        bytes += source.expertFileBytes(l, e);
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * What this copy keeps resident outside the Java heap: the mapped file but other ranks' routed
     * experts, and the loader's native copies.
     */
    public ModelFootprint footprint() {
        return footprint;
    }

    /** Which rank holds which experts (one rank holding all without expert parallelism). */
    public ShardPlan shardPlan() {
        return plan;
    }

    /** Bytes of routed-expert weights this copy holds: its share of the file's. */
    public long routedExpertBytes() {
        return weights.routedExpertBytes();
    }

    /**
     * Computes a peer rank's tokens on experts this rank holds ({@link ExpertCompute}); safe to call
     * from any thread while this rank runs its own steps.
     */
    public float[] computeExperts(int layer, int[] experts, int[] counts, float[] x) {
        if (layer < 0 || layer >= config.numLayers()) {
            throw new IllegalArgumentException("layer " + layer + " is outside the model (0.." + (config.numLayers() - 1) + ")");
        }
        long rows = 0;
        for (int c : counts) {
            rows += c;
        }
        if (experts.length != counts.length || rows * config.hidden() != x.length) {
            throw new IllegalArgumentException("a call of " + x.length + " floats for " + rows + " rows does not match this"
                    + " model's hidden size " + config.hidden() + ": do all ranks serve the same model?");
        }
        return feedForward.computeHeld(weights.layers().get(layer), layer, experts, counts, x);
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
            WeightRows.decode(e, id, 0, x, t * config.hidden(), config.hidden());
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
