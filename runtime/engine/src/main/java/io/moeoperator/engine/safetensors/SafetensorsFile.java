package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.model.MappedModelFile;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.model.PageAdvice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, memory-mapped whole as a {@link MemorySegment} (files past 2 GB work; tensor
 * bytes are never copied, and mapping reads none of them). Layout: an 8-byte little-endian header
 * length N, N bytes of JSON naming each tensor's dtype, shape and [begin, end) byte offsets into the
 * data that follows. Everything the header says is checked against the file before any tensor is
 * handed out: offsets inside the file, sizes equal to shape times element size, no overlaps; a
 * malformed file fails with a {@link ModelFileException} naming the file and the tensor.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's limit; a longer header is a corrupt length. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** One tensor's header entry. {@code type} is null for dtypes the engine cannot compute with. */
    public record Tensor(String name, String dtype, GgmlType type, long[] shape, long begin, long end) {
        public long numElements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public long numBytes() {
            return end - begin;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        if (file.byteSize() < 8) {
            throw error("truncated: " + file.byteSize() + " bytes, too short for the 8-byte header length");
        }
        long headerBytes = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES || headerBytes > file.byteSize() - 8) {
            throw error("header length " + Long.toUnsignedString(headerBytes) + " does not fit the file's "
                    + file.byteSize() + " bytes (truncated or not a safetensors file)");
        }
        this.dataStart = 8 + headerBytes;
        Object header;
        try {
            header = Json.parse(utf8(file.asSlice(8, headerBytes)));
        } catch (IllegalArgumentException e) {
            throw error("header: " + e.getMessage());
        }
        if (!(header instanceof Map<?, ?> entries)) {
            throw error("header is not a JSON object");
        }
        Map<String, Tensor> infos = new LinkedHashMap<>();
        Map<String, String> meta = Map.of();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                meta = metadata(e.getValue());
                continue;
            }
            infos.put(name, tensor(name, e.getValue()));
        }
        checkOverlaps(infos);
        this.tensors = Collections.unmodifiableMap(infos);
        this.metadata = meta;
    }

    /** Opens and maps a safetensors file; the mapping lives until {@link #close()}. */
    public static SafetensorsFile open(Path path) {
        return open(path, false);
    }

    /** As {@link #open(Path)}; {@code sparse}: no read-ahead from the header's first read on ({@link PageAdvice#random}). */
    public static SafetensorsFile open(Path path, boolean sparse) {
        return MappedModelFile.open(path, sparse, ModelFileException::new, (arena, mapping) -> new SafetensorsFile(path, arena, mapping));
    }

    private Tensor tensor(String name, Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw error("tensor " + name + ": header entry is not an object");
        }
        if (!(m.get("dtype") instanceof String dtype)) {
            throw error("tensor " + name + ": dtype is missing or not a string");
        }
        if (!(m.get("shape") instanceof List<?> dims)) {
            throw error("tensor " + name + ": shape is missing or not an array");
        }
        long[] shape = new long[dims.size()];
        long numElements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0) {
                throw error("tensor " + name + ": shape " + dims + " is not a list of sizes");
            }
            shape[i] = d;
            try {
                numElements = Math.multiplyExact(numElements, d);
            } catch (ArithmeticException overflow) {
                throw error("tensor " + name + ": shape " + dims + " is implausibly large");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
            throw error("tensor " + name + ": data_offsets is not [begin, end]");
        }
        long dataBytes = file.byteSize() - dataStart;
        if (begin < 0 || end < begin || end > dataBytes) {
            throw error("tensor " + name + ": data_offsets [" + begin + ", " + end + "] lie outside the " + dataBytes
                    + " data bytes (truncated file or a header that lies)");
        }
        GgmlType type = typeOf(dtype);
        long elementBytes = elementBytes(dtype);
        if (elementBytes > 0 && (numElements > Long.MAX_VALUE / elementBytes || end - begin != numElements * elementBytes)) {
            throw error("tensor " + name + ": " + dtype + " " + java.util.Arrays.toString(shape) + " needs "
                    + numElements * elementBytes + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Tensor(name, dtype, type, shape, begin, end);
    }

    /** The engine's type for a safetensors dtype, or null when it has none. */
    static GgmlType typeOf(String dtype) {
        return switch (dtype) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            case "F8_E4M3" -> GgmlType.F8_E4M3;
            default -> null;
        };
    }

    /** Bytes per element of every dtype the format defines (0: unknown, size unchecked here). */
    private static long elementBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F8_E4M3", "F8_E5M2", "I8", "U8", "BOOL" -> 1;
            default -> 0;
        };
    }

    private void checkOverlaps(Map<String, Tensor> infos) {
        List<Tensor> byOffset = new ArrayList<>(infos.values());
        byOffset.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
        for (int i = 1; i < byOffset.size(); i++) {
            Tensor prev = byOffset.get(i - 1);
            Tensor t = byOffset.get(i);
            if (t.begin() < prev.end()) {
                throw error("tensors " + prev.name() + " and " + t.name() + " overlap (data_offsets ["
                        + prev.begin() + ", " + prev.end() + "] and [" + t.begin() + ", " + t.end() + "])");
            }
        }
    }

    private Map<String, String> metadata(Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw error("__metadata__ is not an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw error("__metadata__ value of " + e.getKey() + " is not a string");
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    private String utf8(MemorySegment bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw error("header is not UTF-8 text");
        }
    }

    public Path path() {
        return path;
    }

    /** The file's size in bytes, all of it mapped. */
    public long byteSize() {
        return file.byteSize();
    }

    /** The whole mapping, for read advice to the kernel; tensors are read through {@link #data}. */
    public MemorySegment mapping() {
        return file;
    }

    /** Bytes before the tensor data: the length field and the JSON header. */
    public long headerBytes() {
        return dataStart;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__} strings (e.g. {@code format: pt}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor's bytes, mapped (not read). */
    public MemorySegment data(Tensor t) {
        return file.asSlice(dataStart + t.begin(), t.numBytes());
    }

    ModelFileException error(String what) {
        return new ModelFileException("model file " + path.getFileName() + ": " + what);
    }

    @Override
    public void close() {
        arena.close();
    }
}
