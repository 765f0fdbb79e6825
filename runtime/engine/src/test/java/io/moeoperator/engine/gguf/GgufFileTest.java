package io.moeoperator.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GgufFileTest {
    @TempDir
    Path dir;

    private Path writeSample(GgmlType type) throws IOException {
        Path file = dir.resolve("sample-" + type + ".gguf");
        new GgufWriter()
                .putString("general.architecture", "test")
                .putU32("test.count", 7)
                .putF32("test.eps", 1e-6f)
                .putBool("test.flag", true)
                .putStrings("test.words", List.of("a", "bb", "ünïcode"))
                .putI32s("test.ints", new int[] {1, -2, 3})
                .addTensor("w", type, new long[] {64, 3}, (row, dst) -> {
                    for (int i = 0; i < dst.length; i++) {
                        dst[i] = (float) Math.sin(row * 64 + i) * 0.5f;
                    }
                })
                .addTensor("v", GgmlType.F32, new long[] {5}, (row, dst) -> Arrays.fill(dst, 2f))
                .write(file);
        return file;
    }

    /** Every type a GGUF file can hold: F8_E4M3 has no GGUF id (safetensors only). */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, mode = EnumSource.Mode.EXCLUDE, names = "F8_E4M3")
    void roundTripsMetadataAndTensors(GgmlType type) throws IOException {
        Path file = writeSample(type);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(3, f.version());
            GgufMetadata md = f.metadata();
            assertEquals("test", md.getString("general.architecture"));
            assertEquals(7, md.getInt("test.count"));
            assertEquals(1e-6f, md.getFloat("test.eps"));
            assertTrue(md.getBool("test.flag", false));
            assertEquals(List.of("a", "bb", "ünïcode"), md.getStringList("test.words"));
            assertArrayEquals(new int[] {1, -2, 3}, md.getIntArray("test.ints"));

            TensorInfo w = f.tensorInfo("w");
            assertEquals(type, w.type());
            assertArrayEquals(new long[] {64, 3}, w.shape());
            float[] got = new float[64 * 3];
            GgmlCodec.decode(type, f.tensorData(w), 0, got, 0, got.length);
            for (int i = 0; i < got.length; i++) {
                float want = (float) Math.sin(i) * 0.5f;
                assertEquals(want, got[i], tolerance(type), "element " + i);
            }
            assertEquals(2f, f.tensorData(f.tensorInfo("v")).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 16));
        }
    }

    /** Largest rounding error of each encoding for values in [-0.5, 0.5]. */
    private static float tolerance(GgmlType type) {
        return switch (type) {
            case F32 -> 0f;
            case F16 -> 0.5f / 1024;
            case BF16 -> 0.5f / 128;
            case Q8_0 -> 0.5f / 127;
            case Q4_0 -> 0.5f / 8 * 1.01f;
            case F8_E4M3 -> throw new IllegalArgumentException("GGUF files hold no " + type);
        };
    }

    @Test
    void missingFileNamesThePath() {
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(dir.resolve("nope.gguf")));
        assertTrue(e.getMessage().contains("nope.gguf"), e.getMessage());
    }

    @Test
    void notGgufIsRejected() throws IOException {
        Path file = dir.resolve("text.gguf");
        Files.writeString(file, "this is not a model file at all, just text");
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(file));
        assertTrue(e.getMessage().contains("text.gguf") && e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void everyTruncationGivesAClearError() throws IOException {
        byte[] full = Files.readAllBytes(writeSample(GgmlType.Q8_0));
        // Cut the file at many points: header, metadata, tensor infos and data must all fail cleanly.
        for (int len = 0; len < full.length; len += Math.max(1, len / 7)) {
            Path cut = dir.resolve("cut.gguf");
            Files.write(cut, Arrays.copyOf(full, len));
            GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(cut).close(), "cut at " + len);
            assertTrue(e.getMessage().startsWith("model file cut.gguf: "), e.getMessage());
        }
    }

    @Test
    void unsupportedTensorTypeIsNamed() throws IOException {
        Path file = writeSample(GgmlType.F32);
        byte[] bytes = Files.readAllBytes(file);
        // Find tensor "w"'s info (name length 1, "w", 2 dims) and patch its type to 14 = Q6_K.
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int at = indexOf(bytes, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 'w', 2, 0, 0, 0});
        b.putInt(at + 13 + 16, 14);
        Files.write(file, bytes);
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(file));
        assertEquals("model file sample-F32.gguf: tensor w has type 14 (Q6_K), supported: F32, F16, Q4_0, Q8_0, BF16",
                e.getMessage());
    }

    @Test
    void missingTensorAndWrongMetadataTypeAreNamed() throws IOException {
        try (GgufFile f = GgufFile.open(writeSample(GgmlType.F32))) {
            assertFalse(f.hasTensor("blk.0.attn_q.weight"));
            GgufException missing = assertThrows(GgufException.class, () -> f.tensorInfo("blk.0.attn_q.weight"));
            assertEquals("model file sample-F32.gguf: missing tensor blk.0.attn_q.weight", missing.getMessage());
            GgufException wrong = assertThrows(GgufException.class, () -> f.metadata().getInt("general.architecture"));
            assertEquals("model file sample-F32.gguf: metadata 'general.architecture' is STRING, expected integer",
                    wrong.getMessage());
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
