package io.moeoperator.engine.gguf;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file. Tensor data is produced row by row through a {@link RowSource} and encoded
 * on the fly, so writing a multi-gigabyte model never holds more than one row in memory. The file is
 * written to a temporary name and moved into place, so a failed write leaves nothing half-written.
 */
public final class GgufWriter {
    /** Produces row {@code row} (ne0 floats) of a tensor. */
    @FunctionalInterface
    public interface RowSource {
        void fill(long row, float[] dst);
    }

    private record Kv(GgufValueType type, GgufValueType elemType, Object value) {}

    private record PendingTensor(String name, GgmlType type, long[] shape, RowSource rows) {}

    private static final int ALIGNMENT = 32;
    private final Map<String, Kv> kv = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();

    public GgufWriter putString(String key, String v) {
        kv.put(key, new Kv(GgufValueType.STRING, null, v));
        return this;
    }

    public GgufWriter putU32(String key, long v) {
        kv.put(key, new Kv(GgufValueType.UINT32, null, v));
        return this;
    }

    public GgufWriter putF32(String key, float v) {
        kv.put(key, new Kv(GgufValueType.FLOAT32, null, v));
        return this;
    }

    public GgufWriter putBool(String key, boolean v) {
        kv.put(key, new Kv(GgufValueType.BOOL, null, v));
        return this;
    }

    public GgufWriter putStrings(String key, List<String> v) {
        kv.put(key, new Kv(GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v)));
        return this;
    }

    public GgufWriter putI32s(String key, int[] v) {
        kv.put(key, new Kv(GgufValueType.ARRAY, GgufValueType.INT32, v.clone()));
        return this;
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] shape, RowSource rows) {
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + shape[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        tensors.add(new PendingTensor(name, type, shape.clone(), rows));
        return this;
    }

    public void write(Path out) throws IOException {
        Path tmp = out.resolveSibling(out.getFileName() + ".partial");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                writeHeader(os);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                writeData(ch);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeHeader(OutputStream os) throws IOException {
        Header h = new Header();
        h.i32(0x46554747);
        h.i32(3);
        h.i64(tensors.size());
        h.i64(kv.size() + 1);
        h.string("general.alignment");
        h.i32(GgufValueType.UINT32.id);
        h.i32(ALIGNMENT);
        for (Map.Entry<String, Kv> e : kv.entrySet()) {
            h.string(e.getKey());
            h.i32(e.getValue().type().id);
            h.value(e.getValue());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            h.string(t.name());
            h.i32(t.shape().length);
            for (long d : t.shape()) {
                h.i64(d);
            }
            h.i32(t.type().id());
            h.i64(offset);
            offset = align(offset + dataBytes(t));
        }
        long pad = align(h.size()) - h.size();
        for (long i = 0; i < pad; i++) {
            h.buf.write(0);
        }
        h.buf.writeTo(os);
    }

    private void writeData(FileChannel ch) throws IOException {
        long start = ch.size();
        long offset = 0;
        for (PendingTensor t : tensors) {
            long bytes = dataBytes(t);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = ch.map(FileChannel.MapMode.READ_WRITE, start + offset, bytes, arena);
                int rowLen = Math.toIntExact(t.shape()[0]);
                long rowBytes = t.type().bytesFor(rowLen);
                float[] row = new float[rowLen];
                long numRows = numElements(t.shape()) / rowLen;
                for (long r = 0; r < numRows; r++) {
                    t.rows().fill(r, row);
                    GgmlCodec.encode(t.type(), row, 0, rowLen, dst, r * rowBytes);
                }
            }
            offset = align(offset + bytes);
        }
        // Pad the file to the alignment so the last tensor's padding exists on disk too.
        if (ch.size() < start + offset) {
            ch.write(ByteBuffer.allocate(1), start + offset - 1);
        }
    }

    private static long dataBytes(PendingTensor t) {
        return t.type().bytesFor(numElements(t.shape()));
    }

    private static long numElements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static long align(long v) {
        return (v + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static final class Header {
        final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        long size() {
            return buf.size();
        }

        void i32(long v) {
            scratch.clear();
            scratch.putInt((int) v);
            buf.write(scratch.array(), 0, 4);
        }

        void i64(long v) {
            scratch.clear();
            scratch.putLong(v);
            buf.write(scratch.array(), 0, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            buf.write(b, 0, b.length);
        }

        void value(Kv v) {
            switch (v.type()) {
                case STRING -> string((String) v.value());
                case UINT32 -> i32((Long) v.value());
                case FLOAT32 -> i32(Float.floatToRawIntBits((Float) v.value()));
                case BOOL -> buf.write((Boolean) v.value() ? 1 : 0);
                case ARRAY -> {
                    i32(v.elemType().id);
                    if (v.value() instanceof int[] ints) {
                        i64(ints.length);
                        for (int x : ints) {
                            i32(x);
                        }
                    } else {
                        @SuppressWarnings("unchecked")
                        List<String> strings = (List<String>) v.value();
                        i64(strings.size());
                        strings.forEach(this::string);
                    }
                }
                default -> throw new IllegalStateException("unsupported metadata type " + v.type());
            }
        }
    }
}
