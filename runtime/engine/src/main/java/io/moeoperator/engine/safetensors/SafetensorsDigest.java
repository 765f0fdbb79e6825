package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.ModelDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Hugging Face directory's identity for expert-parallel ranks, on {@link ModelDigest}'s terms:
 * SHA-256 over config.json's bytes, the tensor table (names sorted, dtype, shape; not which shard
 * or offset) and the same three samples of every tensor's bytes, so a rank reads ~3 pages per
 * tensor, its own experts or not, and two directories with the same weights sharded differently
 * agree. The tokenizer files are left out: ranks compute experts, which the tokenizer does not change.
 */
public final class SafetensorsDigest {
    private static final String DOMAIN = "moe-safetensors-digest/1";

    private SafetensorsDigest() {}

    public static String of(SafetensorsWeightSource source) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
        }
        bytes(sha, DOMAIN.getBytes(StandardCharsets.UTF_8));
        try {
            bytes(sha, Files.readAllBytes(source.dir().resolve(HfConfig.FILE)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, SafetensorsCheckpoint.Located> tensors = new TreeMap<>(source.checkpoint().tensors());
        i64(sha, tensors.size());
        for (SafetensorsCheckpoint.Located t : tensors.values()) {
            bytes(sha, t.tensor().name().getBytes(StandardCharsets.UTF_8));
            bytes(sha, t.tensor().dtype().getBytes(StandardCharsets.UTF_8));
            i64(sha, t.tensor().shape().length);
            for (long d : t.tensor().shape()) {
                i64(sha, d);
            }
        }
        for (SafetensorsCheckpoint.Located t : tensors.values()) {
            MemorySegment data = t.data();
            for (long[] range : ModelDigest.samples(data.byteSize())) {
                ByteBuffer b = data.asSlice(range[0], range[1]).asByteBuffer();
                i64(sha, b.remaining());
                sha.update(b);
            }
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    private static void i64(MessageDigest sha, long v) {
        sha.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private static void bytes(MessageDigest sha, byte[] b) {
        i64(sha, b.length);
        sha.update(b);
    }
}
