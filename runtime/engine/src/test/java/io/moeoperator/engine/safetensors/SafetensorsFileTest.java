package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One safetensors file: what a good one holds, and one message naming file and tensor for each way it can be bad. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** Writes the 8-byte length, {@code header} and {@code data} as they are. */
    static Path raw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private ModelFileException bad(String header, byte[] data) throws IOException {
        Path f = raw(dir.resolve("bad.safetensors"), header, data);
        return assertThrows(ModelFileException.class, () -> SafetensorsFile.open(f).close());
    }

    @Test
    void readsWhatTheWriterWrote() throws IOException {
        Path f = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .matrix("w", GgmlType.BF16, 3, 4, (row, dst) -> Arrays.fill(dst, row + 0.5f))
                .vector("v", GgmlType.F32, 5, (row, dst) -> Arrays.fill(dst, -2f))
                .write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            SafetensorsFile.Tensor w = s.tensors().get("w");
            assertEquals("BF16", w.dtype());
            assertEquals(GgmlType.BF16, w.type());
            assertArrayEquals(new long[] {3, 4}, w.shape());
            assertEquals(24, w.numBytes());
            assertEquals(0, (s.headerBytes()) % 8, "header padded to 8 bytes");
            assertEquals(Float.floatToRawIntBits(2.5f) >>> 16, s.data(w).get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * 4 * 2) & 0xffff);
            assertEquals(-2f, s.data(s.tensors().get("v")).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 16));
            assertEquals("pt", s.metadata().get("format"));
        }
    }

    @Test
    void aTruncatedFileNamesTheTensorCutOff() throws IOException {
        Path f = dir.resolve("m.safetensors");
        new SafetensorsWriter().matrix("a", GgmlType.F32, 2, 2, (r, d) -> { }).matrix("b", GgmlType.F32, 4, 4, (r, d) -> { })
                .write(f);
        byte[] whole = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 10));
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafetensorsFile.open(cut));
        assertEquals("model file cut.safetensors: tensor b: data_offsets [16, 80] lie outside the 70 data bytes"
                + " (truncated file or a header that lies)", e.getMessage());
        // Cut inside the header: the length no longer fits.
        Files.write(cut, Arrays.copyOf(whole, 30));
        e = assertThrows(ModelFileException.class, () -> SafetensorsFile.open(cut));
        assertEquals("model file cut.safetensors: header length " + (whole.length - 8 - 80) + " does not fit the file's 30 bytes"
                + " (truncated or not a safetensors file)", e.getMessage());
        Files.write(cut, new byte[] {1, 2, 3});
        e = assertThrows(ModelFileException.class, () -> SafetensorsFile.open(cut));
        assertEquals("model file cut.safetensors: truncated: 3 bytes, too short for the 8-byte header length", e.getMessage());
    }

    @Test
    void offsetsThatLieAreRefused() throws IOException {
        assertEquals("model file bad.safetensors: tensor w: F32 [2, 2] needs 16 bytes but data_offsets [0, 12] hold 12",
                bad("{" + entry("w", "F32", "[2,2]", 0, 12) + "}", new byte[16]).getMessage());
        assertEquals("model file bad.safetensors: tensors a and b overlap (data_offsets [0, 16] and [8, 24])",
                bad("{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 8, 24) + "}", new byte[24])
                        .getMessage());
        assertEquals("model file bad.safetensors: tensor w: data_offsets [8, 4] lie outside the 16 data bytes"
                        + " (truncated file or a header that lies)",
                bad("{" + entry("w", "F32", "[1]", 8, 4) + "}", new byte[16]).getMessage());
        assertEquals("model file bad.safetensors: tensor w: data_offsets [-4, 0] lie outside the 16 data bytes"
                        + " (truncated file or a header that lies)",
                bad("{" + entry("w", "F32", "[1]", -4, 0) + "}", new byte[16]).getMessage());
        assertEquals("model file bad.safetensors: tensor w: shape [4294967296, 4294967296, 4294967296] is implausibly large",
                bad("{" + entry("w", "F32", "[4294967296,4294967296,4294967296]", 0, 4) + "}", new byte[16]).getMessage());
        ByteBuffer hugeLength = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        Path f = dir.resolve("len.safetensors");
        Files.write(f, hugeLength.array());
        assertEquals("model file len.safetensors: header length 9223372036854775807 does not fit the file's 16 bytes"
                + " (truncated or not a safetensors file)",
                assertThrows(ModelFileException.class, () -> SafetensorsFile.open(f)).getMessage());
    }

    @Test
    void aMalformedHeaderSaysWhatIsWrong() throws IOException {
        assertEquals("model file bad.safetensors: header: invalid JSON at character 5: expected ':'",
                bad("{\"w\" {}}", new byte[0]).getMessage());
        assertEquals("model file bad.safetensors: header is not a JSON object", bad("[1, 2]", new byte[0]).getMessage());
        assertEquals("model file bad.safetensors: tensor w: dtype is missing or not a string",
                bad("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]).getMessage());
        assertEquals("model file bad.safetensors: tensor w: shape [1.5] is not a list of sizes",
                bad("{" + entry("w", "F32", "[1.5]", 0, 4) + "}", new byte[4]).getMessage());
        assertEquals("model file bad.safetensors: tensor w: data_offsets is not [begin, end]",
                bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]).getMessage());
        assertEquals("model file bad.safetensors: header: invalid JSON at character 1: duplicate key \"w\"",
                bad("{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 0, 4) + "}", new byte[4])
                        .getMessage().replaceFirst("character \\d+", "character 1"));
        Path f = dir.resolve("latin1.safetensors");
        Files.write(f, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(new byte[] {'"', (byte) 0xE9, '"', ' '})
                .array());
        assertEquals("model file latin1.safetensors: header is not UTF-8 text",
                assertThrows(ModelFileException.class, () -> SafetensorsFile.open(f)).getMessage());
    }

    @Test
    void anUnknownDtypeIsKeptForTheLookupToRefuse() throws IOException {
        // Tensors the model never asks for may be of any dtype; the weight source names the dtype of one it needs.
        Path f = raw(dir.resolve("m.safetensors"), "{" + entry("q", "I8", "[4]", 0, 4) + "," + entry("x", "F4_FANCY", "[4]", 4, 6) + "}",
                new byte[6]);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(null, s.tensors().get("q").type());
            assertEquals("F4_FANCY", s.tensors().get("x").dtype());
        }
    }

    @Test
    void aMissingFileIsNamed() {
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafetensorsFile.open(dir.resolve("none.safetensors")));
        assertEquals("model file " + dir.resolve("none.safetensors") + " does not exist or is not a regular file", e.getMessage());
    }
}
