package io.moeoperator.engine.gguf;

import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.model.WeightSource;
import java.nio.file.Path;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * A GGUF file's weights by role: the one place llama.cpp's deepseek2 tensor names
 * ({@code LLM_TENSOR_NAMES}) and layouts live. GGUF shapes list the contiguous dimension first, so a
 * Linear(in -> out) weight is [in, out], and the routed experts of a layer are one stacked tensor
 * [in, out, numExperts] of which each expert is a contiguous run of rows.
 */
public final class GgufWeightSource implements WeightSource {
    private final GgufFile file;
    private final ModelConfig config;

    /** Wraps an open file (closed with this source). */
    public GgufWeightSource(GgufFile file) {
        this.file = file;
        this.config = GgufModelConfig.read(file);
    }

    public static GgufWeightSource open(Path path) {
        return open(path, false);
    }

    /** {@code sparse}: only part of the tensors will be read (an expert-parallel rank). */
    public static GgufWeightSource open(Path path, boolean sparse) {
        GgufFile file = GgufFile.open(path, sparse);
        try {
            return new GgufWeightSource(file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The file itself: its metadata holds the tokenizer and chat template. */
    public GgufFile file() {
        return file;
    }

    /** llama.cpp's name of a tensor ({@code layer} ignored for model-wide roles; experts share their layer's stack). */
    public static String tensorName(TensorRole role, int layer) {
        String blk = "blk." + layer + ".";
        return switch (role) {
            case TOKEN_EMBEDDING -> "token_embd.weight";
            case OUTPUT_NORM -> "output_norm.weight";
            case OUTPUT -> "output.weight";
            case ATTN_NORM -> blk + "attn_norm.weight";
            case Q -> blk + "attn_q.weight";
            case Q_A -> blk + "attn_q_a.weight";
            case Q_A_NORM -> blk + "attn_q_a_norm.weight";
            case Q_B -> blk + "attn_q_b.weight";
            case KV_A_MQA -> blk + "attn_kv_a_mqa.weight";
            case KV_A_NORM -> blk + "attn_kv_a_norm.weight";
            case KV_B -> blk + "attn_kv_b.weight";
            case ATTN_OUTPUT -> blk + "attn_output.weight";
            case FFN_NORM -> blk + "ffn_norm.weight";
            case DENSE_GATE -> blk + "ffn_gate.weight";
            case DENSE_UP -> blk + "ffn_up.weight";
            case DENSE_DOWN -> blk + "ffn_down.weight";
            case ROUTER -> blk + "ffn_gate_inp.weight";
            case ROUTER_BIAS -> blk + "exp_probs_b.bias";
            case EXPERT_GATE -> blk + "ffn_gate_exps.weight";
            case EXPERT_UP -> blk + "ffn_up_exps.weight";
            case EXPERT_DOWN -> blk + "ffn_down_exps.weight";
            case SHARED_GATE -> blk + "ffn_gate_shexp.weight";
            case SHARED_UP -> blk + "ffn_up_shexp.weight";
            case SHARED_DOWN -> blk + "ffn_down_shexp.weight";
        };
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public String name() {
        return file.path().getFileName().toString();
    }

    @Override
    public boolean has(TensorRole role, int layer) {
        return file.hasTensor(tensorName(role, layer));
    }

    @Override
    public WeightMatrix matrix(TensorRole role, int layer, int rows, int cols) {
        String name = tensorName(role, layer);
        TensorInfo t = expect(name, cols, rows);
        return new WeightMatrix(name, t.type(), rows, cols, file.tensorData(t));
    }

    /**
     * Expert {@code expert}'s rows of the layer's stacked tensor, a view: an expert-parallel rank
     * never touches, and so never pages in, the bytes of experts it does not hold.
     */
    @Override
    public WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols) {
        String name = tensorName(role, layer);
        int numExperts = config.numExperts();
        TensorInfo t = expect(name, cols, rows, numExperts);
        WeightMatrix all = new WeightMatrix(name, t.type(), rows * numExperts, cols, file.tensorData(t));
        return all.rowSlice(name + "[" + expert + "]", expert * rows, rows);
    }

    @Override
    public float[] vector(TensorRole role, int layer, int n) {
        TensorInfo t = expect(tensorName(role, layer), n);
        float[] v = new float[n];
        GgmlCodec.decode(t.type(), file.tensorData(t), 0, v, 0, n);
        return v;
    }

    @Override
    public List<MemorySegment> mappings() {
        return List.of(file.mapping());
    }

    @Override
    public long fileBytes() {
        return file.byteSize();
    }

    @Override
    public long expertFileBytes(int layer, int expert) {
        long bytes = 0;
        for (TensorRole role : new TensorRole[] {TensorRole.EXPERT_GATE, TensorRole.EXPERT_UP, TensorRole.EXPERT_DOWN}) {
            bytes += file.tensorInfo(tensorName(role, layer)).numBytes() / config.numExperts();
        }
        return bytes;
    }

    private TensorInfo expect(String name, long... shape) {
        TensorInfo t = file.tensorInfo(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new GgufException("model file " + name() + ": tensor " + name + " has shape "
                    + t.shapeString() + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    @Override
    public void close() {
        file.close();
    }
}
