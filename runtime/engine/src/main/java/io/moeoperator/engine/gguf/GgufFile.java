package io.moeoperator.engine.gguf;

import io.moeoperator.engine.model.MappedModelFile;
import io.moeoperator.engine.model.PageAdvice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v2/v3 file, memory-mapped whole as one {@link MemorySegment} so files larger than 2 GB work
 * and tensor data is never copied. Every read of the header is bounds-checked: a malformed file fails
 * with a {@link GgufException} naming the file and what was being read, never an index error.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, TensorInfo> tensors;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor();
        if (file.byteSize() < 24 || file.get(I32, 0) != MAGIC) {
            throw error("not a GGUF file (missing 'GGUF' magic)");
        }
        c.pos = 4;
        version = c.i32("version");
        if (version != 2 && version != 3) {
            throw error("GGUF version " + version + " is not supported (supported: 2, 3)");
        }
        long numTensors = c.u64Count("tensor count");
        long numKv = c.u64Count("metadata count");
        Map<String, GgufMetadata.Entry> kv = new LinkedHashMap<>();
        for (long i = 0; i < numKv; i++) {
            String key = c.string("metadata key #" + i);
            GgufValueType type = c.valueType("metadata '" + key + "'");
            kv.put(key, new GgufMetadata.Entry(type, c.value(type, key)));
        }
        metadata = new GgufMetadata(path.getFileName().toString(), kv);
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < numTensors; i++) {
            String name = c.string("tensor name #" + i);
            int numDims = c.i32("dimension count of tensor " + name);
            if (numDims < 1 || numDims > 4) {
                throw error("tensor " + name + " has " + numDims + " dimensions (1..4 allowed)");
            }
            long[] shape = new long[numDims];
            for (int d = 0; d < numDims; d++) {
                shape[d] = c.u64Count("dimension " + d + " of tensor " + name);
            }
            int typeId = c.i32("type of tensor " + name);
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw error("tensor " + name + " has type " + typeId + " (" + GgmlType.describeId(typeId)
                        + "), supported: " + GgmlType.supportedList());
            }
            long offset = c.i64("offset of tensor " + name);
            TensorInfo info = new TensorInfo(name, type, shape, offset);
            if (shape[0] % type.blockSize() != 0) {
                throw error("tensor " + name + " row length " + shape[0] + " is not a multiple of the "
                        + type + " block size " + type.blockSize());
            }
            if (infos.put(name, info) != null) {
                throw error("tensor " + name + " appears twice");
            }
        }
        long alignment = metadata.getLong("general.alignment", 32);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw error("general.alignment " + alignment + " is not a power of two");
        }
        dataStart = (c.pos + alignment - 1) / alignment * alignment;
        for (TensorInfo t : infos.values()) {
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw error("tensor " + t.name() + " offset " + t.offset() + " is not aligned to " + alignment);
            }
            long end = dataStart + t.offset() + t.numBytes();
            if (end > file.byteSize() || end < 0) {
                throw error("truncated: tensor " + t.name() + " " + t.type() + " " + t.shapeString()
                        + " needs bytes up to " + end + " but the file has " + file.byteSize());
            }
        }
        tensors = Collections.unmodifiableMap(infos);
    }

    /** Opens and maps a GGUF file; the mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) {
        return open(path, false);
    }

    /**
     * As {@link #open(Path)}; {@code sparse}: the caller reads only part of the tensors (an
     * expert-parallel rank), so faults read no ahead from the first read of the header on
     * ({@link PageAdvice#random}).
     */
    public static GgufFile open(Path path, boolean sparse) {
        return MappedModelFile.open(path, sparse, GgufException::new, (arena, mapping) -> new GgufFile(path, arena, mapping));
    }

    public Path path() {
        return path;
    }

    /** The file's size in bytes, all of it mapped. */
    public long byteSize() {
        return file.byteSize();
    }

    /** The whole mapping, for read advice to the kernel; tensors are read through {@link #tensorData}. */
    public MemorySegment mapping() {
        return file;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public Map<String, TensorInfo> tensorInfos() {
        return tensors;
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor's bytes, mapped; fails naming the file and tensor when it is absent. */
    public MemorySegment tensorData(TensorInfo info) {
        return file.asSlice(dataStart + info.offset(), info.numBytes());
    }

    public TensorInfo tensorInfo(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw error("missing tensor " + name);
        }
        return t;
    }

    private GgufException error(String what) {
        return new GgufException("model file " + path.getFileName() + ": " + what);
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Bounds-checked little-endian reader over the header. */
    private final class Cursor {
        long pos;

        private void need(long n, String what) {
            if (n < 0 || pos + n > file.byteSize()) {
                throw error("truncated while reading " + what + " at byte " + pos + " (file has "
                        + file.byteSize() + " bytes)");
            }
        }

        int i32(String what) {
            need(4, what);
            int v = file.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what) {
            need(8, what);
            long v = file.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A u64 count or dimension; a negative (huge) value means a corrupt file. */
        long u64Count(String what) {
            long v = i64(what);
            if (v < 0 || v > file.byteSize() * 8 + (1L << 32)) {
                throw error("implausible " + what + ": " + Long.toUnsignedString(v));
            }
            return v;
        }

        String string(String what) {
            long len = i64("length of " + what);
            if (len < 0 || len > Integer.MAX_VALUE) {
                throw error("implausible length " + Long.toUnsignedString(len) + " of " + what);
            }
            need(len, what);
            byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        GgufValueType valueType(String what) {
            int id = i32("value type of " + what);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) {
                throw error(what + " has unknown value type " + id);
            }
            return t;
        }

        Object value(GgufValueType type, String key) {
            String what = "value of '" + key + "'";
            return switch (type) {
                case UINT8 -> { need(1, what); yield (long) (file.get(ValueLayout.JAVA_BYTE, pos++) & 0xff); }
                case INT8 -> { need(1, what); yield (long) file.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, what); long v = file.get(ValueLayout.JAVA_SHORT_UNALIGNED, pos) & 0xffff; pos += 2; yield v; }
                case INT16 -> { need(2, what); long v = file.get(ValueLayout.JAVA_SHORT_UNALIGNED, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(i32(what));
                case INT32 -> (long) i32(what);
                case UINT64, INT64 -> i64(what);
                case FLOAT32 -> Float.intBitsToFloat(i32(what));
                case FLOAT64 -> Double.longBitsToDouble(i64(what));
                case BOOL -> { need(1, what); yield file.get(ValueLayout.JAVA_BYTE, pos++) != 0; }
                case STRING -> string(what);
                case ARRAY -> {
                    GgufValueType elem = valueType("elements of '" + key + "'");
                    long n = u64Count("length of '" + key + "'");
                    if (elem == GgufValueType.ARRAY) {
                        throw error("'" + key + "' is an array of arrays, which this reader does not support");
                    }
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long i = 0; i < n; i++) {
                        list.add(value(elem, key));
                    }
                    yield new GgufMetadata.Array(elem, Collections.unmodifiableList(list));
                }
            };
        }
    }
}
