package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufWriter.RowSource;
import io.moeoperator.engine.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes safetensors files as the reference implementation lays them out: an 8-byte little-endian
 * header length, the JSON header padded with spaces to 8 bytes, then the tensors back to back in
 * the order they were added (so row sources shared by consecutive tensors are drawn in order).
 * Data is encoded row by row, so a large model never sits in memory. {@link #write(Path, int)} can
 * split the tensors over shards with {@code model.safetensors.index.json}, as save_pretrained does.
 */
public final class SafetensorsWriter {
    private record Pending(String name, GgmlType type, long rows, long cols, boolean vector, RowSource src,
                           Fp8Quantizer.Scales scales, MemorySegment raw) {
        Pending(String name, GgmlType type, long rows, long cols, boolean vector, RowSource src, Fp8Quantizer.Scales scales) {
            this(name, type, rows, cols, vector, src, scales, null);
        }

        long bytes() {
            return type.bytesFor(rows * cols);
        }
    }

    private final List<Pending> tensors = new ArrayList<>();

    /** A 2-D tensor [rows, cols] of F32, F16 or BF16. */
    public SafetensorsWriter matrix(String name, GgmlType type, int rows, int cols, RowSource src) {
        return add(new Pending(name, check(type, name), rows, cols, false, src, null));
    }

    /** A 1-D tensor [n] of F32, F16 or BF16. */
    public SafetensorsWriter vector(String name, GgmlType type, int n, RowSource src) {
        return add(new Pending(name, check(type, name), 1, n, true, src, null));
    }

    /**
     * An FP8 E4M3 weight [rows, cols] and its F32 block scales {@code <name>_scale_inv}
     * [ceil(rows / blockRows), ceil(cols / blockCols)], quantized as DeepSeek-V3's checkpoints are:
     * each block's scale is its largest magnitude over 448, values rounded to nearest E4M3.
     */
    public SafetensorsWriter fp8Matrix(String name, int rows, int cols, int blockRows, int blockCols, RowSource src) {
        Fp8Quantizer.Scales scales = Fp8Quantizer.scales(rows, cols, blockRows, blockCols, src);
        add(new Pending(name, GgmlType.F8_E4M3, rows, cols, false, scales.quantized(), scales));
        int scaleRows = (rows + blockRows - 1) / blockRows;
        int scaleCols = (cols + blockCols - 1) / blockCols;
        return add(new Pending(SafetensorsWeightSource.scaleName(name), GgmlType.F32, scaleRows, scaleCols, false,
                scales.asRows(), null));
    }

    /** A tensor copied byte for byte (of any type this writer knows), e.g. FP8 codes with their scales from another file. */
    SafetensorsWriter copy(String name, GgmlType type, long[] shape, MemorySegment bytes) {
        boolean vector = shape.length == 1;
        long rows = vector ? 1 : shape[0];
        long cols = vector ? shape[0] : shape[1];
        if (shape.length > 2 || bytes.byteSize() != type.bytesFor(rows * cols)) {
            throw new IllegalArgumentException("tensor " + name + ": " + bytes.byteSize() + " bytes are not " + type + " "
                    + java.util.Arrays.toString(shape));
        }
        return add(new Pending(name, type, rows, cols, vector, null, null, bytes));
    }

    private SafetensorsWriter add(Pending p) {
        tensors.add(p);
        return this;
    }

    private static GgmlType check(GgmlType type, String name) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            throw new IllegalArgumentException("tensor " + name + ": safetensors holds F32, F16, BF16 and (block-scaled) "
                    + "F8_E4M3 weights; " + type + " is a GGUF type");
        }
        return type;
    }

    /** Writes one file {@code out}. */
    public void write(Path out) throws IOException {
        writeFile(out, tensors);
    }

    /**
     * Writes the tensors into {@code dir}: one {@code model.safetensors} when {@code numShards} is 1,
     * else {@code model-0000i-of-0000n.safetensors} of about equal size and the index naming each
     * tensor's shard. An FP8 weight and its scales always share a shard.
     */
    public void write(Path dir, int numShards) throws IOException {
        if (numShards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + numShards);
        }
        if (numShards == 1) {
            writeFile(dir.resolve(SafetensorsCheckpoint.SINGLE), tensors);
            return;
        }
        long total = tensors.stream().mapToLong(Pending::bytes).sum();
        List<List<Pending>> shards = new ArrayList<>();
        List<Pending> current = new ArrayList<>();
        long written = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Pending p = tensors.get(i);
            current.add(p);
            written += p.bytes();
            boolean scalesFollow = p.scales() != null;
            if (!scalesFollow && shards.size() < numShards - 1 && written >= total * (shards.size() + 1) / numShards) {
                shards.add(current);
                current = new ArrayList<>();
            }
        }
        shards.add(current);
        if (shards.size() != numShards || shards.stream().anyMatch(List::isEmpty)) {
            throw new IllegalArgumentException(tensors.size() + " tensors do not fill " + numShards + " shards");
        }
        StringBuilder map = new StringBuilder();
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, numShards);
            writeFile(dir.resolve(file), shards.get(s));
            for (Pending p : shards.get(s)) {
                map.append(map.isEmpty() ? "" : ",\n    ").append(Json.quote(p.name())).append(": ").append(Json.quote(file));
            }
        }
        String index = "{\n  \"metadata\": {\"total_size\": " + total + "},\n  \"weight_map\": {\n    " + map + "\n  }\n}\n";
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), index);
    }

    private static void writeFile(Path out, List<Pending> tensors) throws IOException {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (Pending p : tensors) {
            String shape = p.vector() ? "[" + p.cols() + "]" : "[" + p.rows() + "," + p.cols() + "]";
            h.append(",").append(Json.quote(p.name())).append(":{\"dtype\":\"").append(dtype(p.type())).append("\",\"shape\":")
                    .append(shape).append(",\"data_offsets\":[").append(offset).append(",").append(offset + p.bytes()).append("]}");
            offset += p.bytes();
        }
        h.append("}");
        while ((h.length()) % 8 != 0) { // the header is ASCII here, so chars are bytes
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                os.write(header);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                long at = 8 + header.length;
                for (Pending p : tensors) {
                    writeData(ch, at, p);
                    at += p.bytes();
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeData(FileChannel ch, long at, Pending p) throws IOException {
        if (p.bytes() == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = ch.map(FileChannel.MapMode.READ_WRITE, at, p.bytes(), arena);
            if (p.raw() != null) {
                dst.copyFrom(p.raw());
                return;
            }
            int cols = Math.toIntExact(p.cols());
            float[] row = new float[cols];
            long rowBytes = p.type().bytesFor(cols);
            for (long r = 0; r < p.rows(); r++) {
                p.src().fill(r, row);
                GgmlCodec.encode(p.type(), row, 0, cols, dst, r * rowBytes);
            }
        }
    }

    static String dtype(GgmlType type) {
        return switch (type) {
            case F32 -> "F32";
            case F16 -> "F16";
            case BF16 -> "BF16";
            case F8_E4M3 -> "F8_E4M3";
            default -> throw new IllegalArgumentException(type + " has no safetensors dtype");
        };
    }
}
