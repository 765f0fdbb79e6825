package io.moeoperator.engine.gguf;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The tensor element types this engine computes with, with the ids GGUF files use. Block types store
 * {@code blockSize} elements in {@code blockBytes} bytes; a row's length must be a multiple of the
 * block size. {@link #F8_E4M3} is not a GGUF type (it has no id): safetensors checkpoints such as
 * DeepSeek-V3's store it with a float scale per block of weights (see {@code kernel.BlockScales}).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 weights: f16 scale d, then 16 bytes of 4-bit quants (low nibbles = elements 0..15). */
    Q4_0(2, 32, 2 + 16),
    /** 32 weights: f16 scale d, then 32 signed bytes; x = d * q. */
    Q8_0(8, 32, 2 + 32),
    BF16(30, 1, 2),
    /** OCP FP8 E4M3 ("float8_e4m3fn": 1 sign, 4 exponent, 3 mantissa bits, no infinities); no GGUF id. */
    F8_E4M3(-1, 1, 1);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() {
        return id;
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes taken by {@code numElements} elements; {@code numElements} must fill whole blocks. */
    public long bytesFor(long numElements) {
        if (numElements % blockSize != 0) {
            throw new IllegalArgumentException(name() + " stores elements in blocks of " + blockSize
                    + "; " + numElements + " elements do not fill whole blocks");
        }
        return numElements / blockSize * blockBytes;
    }

    /** The type with this GGUF id, or null when this engine does not support it. */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id && id >= 0) {
                return t;
            }
        }
        return null;
    }

    /** The types a GGUF file may hold here. */
    public static String supportedList() {
        return Arrays.stream(values()).filter(t -> t.id >= 0).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** Names of the ggml types we know of but do not support, for error messages. */
    public static String describeId(int id) {
        return switch (id) {
            case 3 -> "Q4_1";
            case 6 -> "Q5_0";
            case 7 -> "Q5_1";
            case 9 -> "Q8_1";
            case 10 -> "Q2_K";
            case 11 -> "Q3_K";
            case 12 -> "Q4_K";
            case 13 -> "Q5_K";
            case 14 -> "Q6_K";
            case 15 -> "Q8_K";
            default -> {
                GgmlType t = byId(id);
                yield t != null ? t.name() : "unknown";
            }
        };
    }
}
