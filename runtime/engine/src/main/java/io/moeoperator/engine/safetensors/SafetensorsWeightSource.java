package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.ActivationRounding;
import io.moeoperator.engine.kernel.BlockScales;
import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.model.WeightSource;
import java.nio.file.Path;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Hugging Face DeepSeek-V2/V3 directory's weights by role: the one place transformers' tensor
 * names and layouts live. A Linear weight is stored [out, in] row-major, which is the kernels'
 * (rows, cols) as it is; each routed expert is a tensor of its own, so an expert-parallel rank
 * looks up, and so maps views of, only its own experts. FP8 E4M3 weights come with their
 * {@code <name>_scale_inv} block scales (a multiplier per block of
 * {@code quantization_config.weight_block_size}). Layers past {@code num_hidden_layers} (DeepSeek-V3's
 * multi-token-prediction layer) are never looked up.
 */
public final class SafetensorsWeightSource implements WeightSource {
    private final Path dir;
    private final HfConfig hf;
    private final SafetensorsCheckpoint checkpoint;
    private final AtomicLong viewedBytes = new AtomicLong();

    private SafetensorsWeightSource(Path dir, HfConfig hf, SafetensorsCheckpoint checkpoint) {
        this.dir = dir;
        this.hf = hf;
        this.checkpoint = checkpoint;
    }

    /** Reads config.json and opens every shard (headers checked, nothing else read). */
    public static SafetensorsWeightSource open(Path dir) {
        return open(dir, false);
    }

    /** {@code sparse}: only part of the tensors will be read (an expert-parallel rank). */
    public static SafetensorsWeightSource open(Path dir, boolean sparse) {
        HfConfig hf = HfConfig.read(dir);
        return new SafetensorsWeightSource(dir, hf, SafetensorsCheckpoint.open(dir, sparse));
    }

    /** transformers' name of a tensor; {@code expert} is used only by the expert roles. */
    public static String tensorName(TensorRole role, int layer, int expert, boolean tied) {
        String p = "model.layers." + layer + ".";
        String attn = p + "self_attn.";
        String mlp = p + "mlp.";
        String e = mlp + "experts." + expert + ".";
        String shared = mlp + "shared_experts.";
        return switch (role) {
            case TOKEN_EMBEDDING -> "model.embed_tokens.weight";
            case OUTPUT_NORM -> "model.norm.weight";
            case OUTPUT -> tied ? "model.embed_tokens.weight" : "lm_head.weight";
            case ATTN_NORM -> p + "input_layernorm.weight";
            case Q -> attn + "q_proj.weight";
            case Q_A -> attn + "q_a_proj.weight";
            case Q_A_NORM -> attn + "q_a_layernorm.weight";
            case Q_B -> attn + "q_b_proj.weight";
            case KV_A_MQA -> attn + "kv_a_proj_with_mqa.weight";
            case KV_A_NORM -> attn + "kv_a_layernorm.weight";
            case KV_B -> attn + "kv_b_proj.weight";
            case ATTN_OUTPUT -> attn + "o_proj.weight";
            case FFN_NORM -> p + "post_attention_layernorm.weight";
            case DENSE_GATE -> mlp + "gate_proj.weight";
            case DENSE_UP -> mlp + "up_proj.weight";
            case DENSE_DOWN -> mlp + "down_proj.weight";
            case ROUTER -> mlp + "gate.weight";
            case ROUTER_BIAS -> mlp + "gate.e_score_correction_bias";
            case EXPERT_GATE -> e + "gate_proj.weight";
            case EXPERT_UP -> e + "up_proj.weight";
            case EXPERT_DOWN -> e + "down_proj.weight";
            case SHARED_GATE -> shared + "gate_proj.weight";
            case SHARED_UP -> shared + "up_proj.weight";
            case SHARED_DOWN -> shared + "down_proj.weight";
        };
    }

    /** The FP8 block scales of weight {@code name}. */
    public static String scaleName(String name) {
        return name + "_scale_inv";
    }

    /**
     * The routed expert whose weight (or FP8 scales) {@code name} is, or -1 for every other tensor:
     * what a download for an expert-parallel rank uses to leave other ranks' experts out. Any layer
     * counts, the ones past num_hidden_layers too (DeepSeek-V3's multi-token-prediction layer). The
     * answer is checked against {@link #tensorName}, so it cannot drift from what the loader asks for.
     */
    public static int routedExpert(String name) {
        String weight = name.endsWith("_scale_inv") ? name.substring(0, name.length() - "_scale_inv".length()) : name;
        String[] parts = weight.split("\\.", -1); // model.layers.<layer>.mlp.experts.<expert>.<proj>.weight
        if (parts.length != 8) {
            return -1;
        }
        int layer;
        int expert;
        try {
            layer = Integer.parseInt(parts[2]);
            expert = Integer.parseInt(parts[5]);
        } catch (NumberFormatException notAnExpert) {
            return -1;
        }
        for (TensorRole role : new TensorRole[] {TensorRole.EXPERT_GATE, TensorRole.EXPERT_UP, TensorRole.EXPERT_DOWN}) {
            if (layer >= 0 && expert >= 0 && tensorName(role, layer, expert, false).equals(weight)) {
                return expert;
            }
        }
        return -1;
    }

    public HfConfig hfConfig() {
        return hf;
    }

    public Path dir() {
        return dir;
    }

    public SafetensorsCheckpoint checkpoint() {
        return checkpoint;
    }

    @Override
    public ModelConfig config() {
        return hf.model();
    }

    @Override
    public String name() {
        return dir.getFileName().toString();
    }

    @Override
    public boolean has(TensorRole role, int layer) {
        return checkpoint.find(tensorName(role, layer, 0, hf.model().tiedEmbeddings())) != null;
    }

    @Override
    public WeightMatrix matrix(TensorRole role, int layer, int rows, int cols) {
        return view(tensorName(role, layer, 0, hf.model().tiedEmbeddings()), rows, cols);
    }

    @Override
    public WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols) {
        return view(tensorName(role, layer, expert, false), rows, cols);
    }

    @Override
    public float[] vector(TensorRole role, int layer, int n) {
        String name = tensorName(role, layer, 0, false);
        SafetensorsCheckpoint.Located t = expect(name, n);
        GgmlType type = t.tensor().type();
        if (type == null || type == GgmlType.F8_E4M3) {
            throw dtypeError(t, "F32, F16, BF16");
        }
        float[] v = new float[n];
        GgmlCodec.decode(type, t.data(), 0, v, 0, n);
        viewedBytes.addAndGet(t.tensor().numBytes());
        return v;
    }

    /** A (rows, cols) view of a Linear weight, with its block scales when it is FP8. */
    private WeightMatrix view(String name, int rows, int cols) {
        SafetensorsCheckpoint.Located t = expect(name, rows, cols);
        GgmlType type = t.tensor().type();
        if (type == null) {
            throw dtypeError(t, "F32, F16, BF16, F8_E4M3");
        }
        viewedBytes.addAndGet(t.tensor().numBytes());
        if (type != GgmlType.F8_E4M3) {
            return new WeightMatrix(name, type, rows, cols, t.data(), null, ActivationRounding.NONE);
        }
        if (!hf.fp8()) {
            throw new ModelFileException("model file " + t.fileName() + ": tensor " + name + " is F8_E4M3 but "
                    + HfConfig.FILE + " has no quantization_config giving its scale blocks");
        }
        String scaleName = scaleName(name);
        int blockRows = hf.fp8BlockRows();
        int blockCols = hf.fp8BlockCols();
        SafetensorsCheckpoint.Located s = expect(scaleName, ceilDiv(rows, blockRows), ceilDiv(cols, blockCols));
        if (s.tensor().type() != GgmlType.F32) {
            throw dtypeError(s, "F32");
        }
        viewedBytes.addAndGet(s.tensor().numBytes());
        return new WeightMatrix(name, type, rows, cols, t.data(), new BlockScales(blockRows, blockCols, s.data()),
                ActivationRounding.NONE);
    }

    private SafetensorsCheckpoint.Located expect(String name, long... shape) {
        SafetensorsCheckpoint.Located t = checkpoint.find(name);
        if (t == null) {
            throw new ModelFileException("model file " + dir.getFileName() + "/" + (checkpoint.files().size() == 1
                    && !java.nio.file.Files.isRegularFile(dir.resolve(SafetensorsCheckpoint.INDEX))
                    ? SafetensorsCheckpoint.SINGLE : SafetensorsCheckpoint.INDEX) + ": missing tensor " + name);
        }
        if (!Arrays.equals(t.tensor().shape(), shape)) {
            throw new ModelFileException("model file " + t.fileName() + ": tensor " + name + " has shape "
                    + Arrays.toString(t.tensor().shape()) + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    private static ModelFileException dtypeError(SafetensorsCheckpoint.Located t, String supported) {
        return new ModelFileException("model file " + t.fileName() + ": tensor " + t.tensor().name() + " has dtype "
                + t.tensor().dtype() + ", supported: " + supported);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public List<MemorySegment> mappings() {
        return checkpoint.files().stream().map(SafetensorsFile::mapping).toList();
    }

    @Override
    public long fileBytes() {
        return checkpoint.byteSize();
    }

    @Override
    public long expertFileBytes(int layer, int expert) {
        long bytes = 0;
        for (TensorRole role : new TensorRole[] {TensorRole.EXPERT_GATE, TensorRole.EXPERT_UP, TensorRole.EXPERT_DOWN}) {
            String name = tensorName(role, layer, expert, false);
            for (String n : new String[] {name, scaleName(name)}) {
                SafetensorsCheckpoint.Located t = checkpoint.find(n);
                bytes += t == null ? 0 : t.tensor().numBytes();
            }
        }
        return bytes;
    }

    /**
     * Bytes of the tensors looked up so far (views and decoded vectors, with FP8 scales): what this
     * copy reads of the files, the headers aside.
     */
    public long viewedBytes() {
        return viewedBytes.get();
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
