package io.moeoperator.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's identity for expert-parallel ranks that must agree they serve the same thing:
 * SHA-256 over the GGUF metadata, the tensor table and a sample of every tensor's bytes (the first,
 * middle and last {@value #SAMPLE_BYTES} bytes; all of a tensor smaller than three samples).
 *
 * <p>Why a sample and not the whole file: a rank maps only its own experts, and a DeepSeek-V3 file
 * is hundreds of GB; reading it all at start-up would cost minutes. A few KiB of every tensor is
 * enough to tell two checkpoints apart (a different seed, fine-tune or quantization changes every
 * tensor's bytes), and it reads only ~3 pages per tensor. It is not a checksum against corruption
 * in the middle of a tensor.
 *
 * <p>Independent of the file's path and name, of the order of keys and tensors in the header and of
 * padding: keys and tensors are hashed sorted by name, tensors by type, shape and bytes (not offset).
 */
public final class ModelDigest {
    /** Bytes hashed at each of a tensor's three sample points. */
    public static final int SAMPLE_BYTES = 4096;
    /** Changes when what is hashed changes, so digests of different definitions never collide. */
    private static final String DOMAIN = "moe-model-digest/1";

    private ModelDigest() {}

    /** {@code sha256:<64 hex digits>} of the file at {@code path}. */
    public static String of(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            return of(file);
        }
    }

    /** {@code sha256:<64 hex digits>} of an open file. */
    public static String of(GgufFile file) {
        Hasher h = new Hasher();
        h.string(DOMAIN);
        Map<String, GgufMetadata.Entry> metadata = new TreeMap<>(file.metadata().entries());
        h.i64(metadata.size());
        for (var e : metadata.entrySet()) {
            h.string(e.getKey());
            h.value(e.getValue().type(), e.getValue().value());
        }
        Map<String, TensorInfo> tensors = new TreeMap<>(file.tensorInfos());
        h.i64(tensors.size());
        for (TensorInfo t : tensors.values()) {
            h.string(t.name());
            h.i64(t.type().id());
            h.i64(t.shape().length);
            for (long d : t.shape()) {
                h.i64(d);
            }
        }
        for (TensorInfo t : tensors.values()) {
            MemorySegment data = file.tensorData(t);
            for (long[] range : samples(data.byteSize())) {
                h.bytes(data.asSlice(range[0], range[1]).asByteBuffer());
            }
        }
        return "sha256:" + HexFormat.of().formatHex(h.digest.digest());
    }

    /**
     * The [offset, length] ranges hashed of a tensor of {@code size} bytes: all of it when small,
     * otherwise its first, middle and last {@value #SAMPLE_BYTES} bytes.
     */
    public static List<long[]> samples(long size) {
        List<long[]> out = new ArrayList<>(3);
        if (size <= 3L * SAMPLE_BYTES) {
            out.add(new long[] {0, size});
        } else {
            out.add(new long[] {0, SAMPLE_BYTES});
            out.add(new long[] {(size - SAMPLE_BYTES) / 2, SAMPLE_BYTES});
            out.add(new long[] {size - SAMPLE_BYTES, SAMPLE_BYTES});
        }
        return out;
    }

    /** Unambiguous encoding into the digest: every variable-length item is preceded by its length. */
    private static final class Hasher {
        final MessageDigest digest;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Hasher() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
            }
        }

        void i64(long v) {
            digest.update(scratch.clear().putLong(v).array(), 0, 8);
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            i64(utf8.length);
            digest.update(utf8);
        }

        void bytes(ByteBuffer b) {
            i64(b.remaining());
            digest.update(b);
        }

        /** A metadata value with its on-disk type (a u32 7 and an i64 7 are different metadata). */
        void value(GgufValueType type, Object v) {
            i64(type.id);
            switch (v) {
                case Long l -> i64(l);
                case Float f -> i64(Float.floatToRawIntBits(f));
                case Double d -> i64(Double.doubleToRawLongBits(d));
                case Boolean b -> i64(b ? 1 : 0);
                case String s -> string(s);
                case GgufMetadata.Array a -> {
                    i64(a.values().size());
                    for (Object element : a.values()) {
                        value(a.elementType(), element);
                    }
                }
                default -> throw new IllegalStateException("metadata value of " + v.getClass() + " is not hashable");
            }
        }
    }
}
