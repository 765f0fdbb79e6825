package io.moeoperator.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDigestTest {
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4).qLoraRank(32)
            .kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32).numExperts(8).numExpertsUsed(2)
            .numSharedExperts(1).numDenseLeading(1).contextLength(256).seed(1).build();
    /** 64 x 384 F32 = 96 KiB: large enough to have bytes outside its three samples. */
    static final String BIG_TENSOR = "token_embd.weight";

    @TempDir
    Path dir;

    private Path write(String name, SynthSpec spec) throws IOException {
        Path file = dir.resolve(name);
        SyntheticModelWriter.write(spec, file);
        return file;
    }

    @Test
    void isADigestOfTheContentNotThePath() throws IOException {
        Path a = write("a.gguf", SPEC);
        Path copy = Files.createDirectories(dir.resolve("elsewhere")).resolve("renamed-model.bin");
        Files.copy(a, copy);
        String digest = ModelDigest.of(a);
        assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
        assertEquals(digest, ModelDigest.of(copy));
        assertEquals(digest, ModelDigest.of(write("b.gguf", SPEC)), "the same spec written again");
    }

    @Test
    void modelsOfTheSameShapeWithOtherWeightsDiffer() throws IOException {
        Path seed1 = write("seed1.gguf", SPEC);
        Path seed2 = write("seed2.gguf", SPEC.toBuilder().seed(2).build());
        try (GgufFile f1 = GgufFile.open(seed1); GgufFile f2 = GgufFile.open(seed2)) {
            assertEquals(f1.metadata().entries().keySet(), f2.metadata().entries().keySet());
            assertEquals(f1.tensorInfos().keySet(), f2.tensorInfos().keySet());
        }
        assertNotEquals(ModelDigest.of(seed1), ModelDigest.of(seed2));
    }

    @Test
    void otherMetadataDiffers() throws IOException {
        Path longer = write("ctx512.gguf", SPEC.toBuilder().contextLength(512).build());
        assertNotEquals(ModelDigest.of(write("ctx256.gguf", SPEC)), ModelDigest.of(longer));
    }

    @Test
    void aByteChangedInsideAnySampleChangesTheDigest() throws IOException {
        Path original = write("original.gguf", SPEC);
        String digest = ModelDigest.of(original);
        long size = tensorBytes(original, BIG_TENSOR);
        List<long[]> samples = ModelDigest.samples(size);
        assertEquals(3, samples.size(), BIG_TENSOR + " is " + size + " bytes");
        for (long[] sample : samples) {
            for (long at : new long[] {sample[0], sample[0] + sample[1] - 1}) {
                Path changed = dir.resolve("changed-" + at + ".gguf");
                Files.copy(original, changed);
                flipByte(changed, BIG_TENSOR, at);
                assertNotEquals(digest, ModelDigest.of(changed), "byte " + at + " of " + BIG_TENSOR);
            }
        }
    }

    /** The stated limit: bytes between the samples are not read (that is what keeps it cheap). */
    @Test
    void aByteBetweenTheSamplesIsNotRead() throws IOException {
        Path original = write("original.gguf", SPEC);
        Path changed = dir.resolve("changed-between.gguf");
        Files.copy(original, changed);
        flipByte(changed, BIG_TENSOR, ModelDigest.SAMPLE_BYTES + 10);
        assertEquals(ModelDigest.of(original), ModelDigest.of(changed));
    }

    private static long tensorBytes(Path file, String tensor) {
        try (GgufFile f = GgufFile.open(file)) {
            return f.tensorInfo(tensor).numBytes();
        }
    }

    /** Flips every bit of the byte at {@code offset} within the tensor's data. */
    private static void flipByte(Path file, String tensor, long offset) throws IOException {
        long position;
        byte[] all = Files.readAllBytes(file);
        try (GgufFile f = GgufFile.open(file)) {
            // Where the tensor's data starts in the file, found by its first 64 (random) bytes: GgufFile keeps the
            // data section's offset to itself.
            var data = f.tensorData(f.tensorInfo(tensor));
            byte[] head = data.asSlice(0, 64).toArray(ValueLayout.JAVA_BYTE);
            position = indexOf(all, head) + offset;
        }
        all[(int) position] ^= (byte) 0xff;
        Files.write(file, all);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        int found = -1;
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            if (found >= 0) {
                throw new AssertionError("the tensor's first 64 bytes occur twice in the file");
            }
            found = i;
        }
        if (found < 0) {
            throw new AssertionError("the tensor's first 64 bytes are not in the file");
        }
        return found;
    }
}
