package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.ScalarOps;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hugging Face directory whose files do not make the model config.json describes: each fault is
 * one {@link ModelFileException} naming the file and the tensor or field, raised while loading.
 */
class SafetensorsModelFilesTest {
    @TempDir
    Path root;

    static SynthSpec.Builder tiny() {
        return SynthSpec.builder().vocabSize(300).hidden(64).numLayers(2).numHeads(2).qLoraRank(32).kvLoraRank(32)
                .qkNope(16).qkRope(8).vHead(16).ffDense(64).ffExpert(32).numExperts(4).numExpertsUsed(2)
                .numDenseLeading(1).contextLength(64).weightType(GgmlType.BF16);
    }

    private Path model(String name, SynthSpec spec, int shards) throws IOException {
        Path dir = root.resolve(name);
        SyntheticHfWriter.write(spec, dir, new SyntheticHfWriter.Options(shards, false));
        return dir;
    }

    private static String load(Path dir) {
        return assertThrows(ModelFileException.class, () -> {
            try (SafetensorsWeightSource s = SafetensorsWeightSource.open(dir)) {
                new DeepSeek2Model(s, new ScalarOps());
            }
        }).getMessage();
    }

    /** Rewrites a shard's JSON header (its length field follows), keeping the data. */
    static void editHeader(Path file, UnaryOperator<String> edit) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = edit.apply(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(all, 8 + (int) n, all.length - 8 - (int) n);
        Files.write(file, b.array());
    }

    private static void editText(Path file, String from, String to) throws IOException {
        String s = Files.readString(file);
        if (!s.contains(from)) {
            throw new IllegalStateException(file + " has no " + from);
        }
        Files.writeString(file, s.replace(from, to));
    }

    @Test
    void aGoodDirectoryLoads() throws IOException {
        try (SafetensorsWeightSource s = SafetensorsWeightSource.open(model("good", tiny().build(), 2))) {
            new DeepSeek2Model(s, new ScalarOps());
        }
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Path dir = model("missing", tiny().build(), 2);
        editText(dir.resolve(SafetensorsCheckpoint.INDEX), "\"model.layers.1.mlp.experts.3.up_proj.weight\": \"model-00002-of-00002.safetensors\",", "");
        assertEquals("model file missing/model.safetensors.index.json: missing tensor model.layers.1.mlp.experts.3.up_proj.weight",
                load(dir));
        Path single = model("missing1", tiny().build(), 1);
        editHeader(single.resolve("model.safetensors"), h -> h.replace("model.layers.0.self_attn.kv_b_proj.weight", "model.layers.0.self_attn.kv_b_XXXX.weight"));
        assertEquals("model file missing1/model.safetensors: missing tensor model.layers.0.self_attn.kv_b_proj.weight", load(single));
    }

    @Test
    void aWronglyShapedTensorIsNamed() throws IOException {
        Path dir = model("shape", tiny().build(), 1);
        // Same bytes, transposed shape: [out, in] read as [in, out] would be garbage.
        editHeader(dir.resolve("model.safetensors"), h -> h.replace(
                "\"model.layers.1.mlp.shared_experts.down_proj.weight\":{\"dtype\":\"BF16\",\"shape\":[64,32]",
                "\"model.layers.1.mlp.shared_experts.down_proj.weight\":{\"dtype\":\"BF16\",\"shape\":[32,64]"));
        assertEquals("model file model.safetensors: tensor model.layers.1.mlp.shared_experts.down_proj.weight has shape"
                + " [32, 64], expected [64, 32]", load(dir));
    }

    @Test
    void anUnusableDtypeIsNamed() throws IOException {
        Path dir = model("dtype", tiny().build(), 1);
        editHeader(dir.resolve("model.safetensors"), h -> h.replace(
                "\"model.layers.1.mlp.experts.0.gate_proj.weight\":{\"dtype\":\"BF16\"",
                "\"model.layers.1.mlp.experts.0.gate_proj.weight\":{\"dtype\":\"I16\""));
        assertEquals("model file model.safetensors: tensor model.layers.1.mlp.experts.0.gate_proj.weight has dtype I16,"
                + " supported: F32, F16, BF16, F8_E4M3", load(dir));
        Path norm = model("normdtype", tiny().build(), 1);
        editHeader(norm.resolve("model.safetensors"), h -> h.replace(
                "\"model.norm.weight\":{\"dtype\":\"F32\"", "\"model.norm.weight\":{\"dtype\":\"I32\""));
        assertEquals("model file model.safetensors: tensor model.norm.weight has dtype I32, supported: F32, F16, BF16", load(norm));
    }

    @Test
    void anIndexNamingAMissingShardIsNamed() throws IOException {
        Path dir = model("noshard", tiny().build(), 3);
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        String msg = load(dir);
        assertEquals("model file model.safetensors.index.json: tensor ", msg.substring(0, msg.indexOf("tensor ") + 7));
        assertEquals(" is in shard model-00002-of-00003.safetensors, which is missing from " + dir,
                msg.substring(msg.indexOf(" is in shard")));
    }

    @Test
    void anIndexThatLiesAboutAShardIsNamed() throws IOException {
        Path dir = model("lies", tiny().build(), 2);
        editText(dir.resolve(SafetensorsCheckpoint.INDEX), "\"model.norm.weight\": \"model-00002-of-00002.safetensors\"",
                "\"model.norm.weight\": \"model-00001-of-00002.safetensors\"");
        assertEquals("model file model.safetensors.index.json: tensor model.norm.weight is mapped to shard"
                + " model-00001-of-00002.safetensors, which does not contain it", load(dir));
        editText(dir.resolve(SafetensorsCheckpoint.INDEX), "\"model.norm.weight\": \"model-00001-of-00002.safetensors\"",
                "\"model.norm.weight\": \"../../etc/passwd.safetensors\"");
        assertEquals("model file model.safetensors.index.json: tensor model.norm.weight is mapped to"
                + " ../../etc/passwd.safetensors, not a .safetensors file name in the directory", load(dir));
    }

    @Test
    void aTruncatedShardIsNamed() throws IOException {
        Path dir = model("cut", tiny().build(), 2);
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        byte[] all = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(all, all.length - 1));
        assertEquals("model file model-00002-of-00002.safetensors: tensor lm_head.weight: data_offsets",
                load(dir).substring(0, "model file model-00002-of-00002.safetensors: tensor lm_head.weight: data_offsets".length()));
    }

    @Test
    void shardsWithoutTheirIndexAreExplained() throws IOException {
        Path dir = model("noindex", tiny().build(), 2);
        Files.delete(dir.resolve(SafetensorsCheckpoint.INDEX));
        assertEquals("model directory " + dir + " has neither model.safetensors nor model.safetensors.index.json (it has"
                + " [model-00001-of-00002.safetensors, model-00002-of-00002.safetensors]: shards need their index)", load(dir));
    }

    @Test
    void fp8WeightsNeedTheirScalesAndTheQuantizationConfig() throws IOException {
        SynthSpec fp8 = tiny().weightType(GgmlType.F8_E4M3).gating(GatingFunction.SIGMOID).build();
        Path dir = model("fp8", fp8, 2);
        try (SafetensorsWeightSource s = SafetensorsWeightSource.open(dir)) {
            assertEquals(GgmlType.F8_E4M3, s.matrix(io.moeoperator.engine.model.TensorRole.KV_B, 0, 2 * 32, 32).type());
            assertEquals(GgmlType.F32, s.matrix(io.moeoperator.engine.model.TensorRole.ROUTER, 1, 4, 64).type());
        }
        editText(dir.resolve(SafetensorsCheckpoint.INDEX),
                "\"model.layers.1.mlp.experts.2.down_proj.weight_scale_inv\": \"model-00002-of-00002.safetensors\",", "");
        assertEquals("model file fp8/model.safetensors.index.json: missing tensor"
                + " model.layers.1.mlp.experts.2.down_proj.weight_scale_inv", load(dir));

        Path noConfig = model("fp8noconfig", fp8, 1);
        String config = Files.readString(noConfig.resolve("config.json"));
        Files.writeString(noConfig.resolve("config.json"), config.replaceAll("(?s)\"quantization_config\": \\{.*?\\},", ""));
        assertEquals("model file model.safetensors: tensor model.layers.0.self_attn.kv_b_proj.weight is F8_E4M3 but config.json"
                + " has no quantization_config giving its scale blocks", load(noConfig));

        Path badScale = model("fp8scale", fp8, 1);
        editHeader(badScale.resolve("model.safetensors"), h -> h.replace(
                "\"model.layers.0.self_attn.kv_b_proj.weight_scale_inv\":{\"dtype\":\"F32\"",
                "\"model.layers.0.self_attn.kv_b_proj.weight_scale_inv\":{\"dtype\":\"I32\""));
        assertEquals("model file model.safetensors: tensor model.layers.0.self_attn.kv_b_proj.weight_scale_inv has dtype I32,"
                + " supported: F32", load(badScale));
    }

    @Test
    void layersPastTheModelAreNeverRead() throws IOException {
        // DeepSeek-V3 stores its multi-token-prediction layer as model.layers.61: a layer the model never runs.
        Path dir = model("mtp", tiny().numLayers(3).build(), 1);
        editText(dir.resolve("config.json"), "\"num_hidden_layers\": 3", "\"num_hidden_layers\": 2, \"num_nextn_predict_layers\": 1");
        editHeader(dir.resolve("model.safetensors"), h -> h.replace("\"model.layers.2.self_attn.kv_b_proj.weight\":{\"dtype\":\"BF16\"",
                "\"model.layers.2.self_attn.kv_b_proj.weight\":{\"dtype\":\"I16\""));
        try (SafetensorsWeightSource s = SafetensorsWeightSource.open(dir)) {
            DeepSeek2Model m = new DeepSeek2Model(s, new ScalarOps());
            assertEquals(2, m.config().numLayers());
            assertEquals(1, s.hfConfig().numNextnLayers());
        }
    }
}
