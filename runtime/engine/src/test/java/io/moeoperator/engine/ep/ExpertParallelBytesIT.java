package io.moeoperator.engine.ep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.gguf.TensorInfo;
import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.LayerWeights;
import io.moeoperator.engine.model.ModelWeights;
import io.moeoperator.engine.model.WeightSource;
import io.moeoperator.engine.safetensors.SafetensorsCheckpoint;
import io.moeoperator.engine.safetensors.SafetensorsFile;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bytes an expert-parallel rank reads of the model's files, measured: its share of the routed
 * experts plus everything else (the shared part), within 5 %. Per format, group size (2, 4) and rank:
 * the page cache of the files is emptied (fsync + posix_fadvise DONTNEED), the rank loads its
 * weights (ModelWeights.load with its shard plan: headers parsed, norms and kv_b decoded, views
 * made) and then reads every byte of every view it holds, as its forward passes eventually do; then
 * mincore(2) tells which pages of the files are in memory. Pages the kernel reads ahead around a
 * fault count too (real I/O caused by the rank), which is why the experts here are large: a rank's
 * experts are contiguous runs in these files, and read-ahead spills at most ~200 KB past each run.
 * For safetensors the source also counts the bytes of the tensors it handed out (views, decoded
 * vectors); that count plus the headers must match the same expectation.
 *
 * <p>Expected bytes for a rank: (all file bytes - routed-expert bytes) + held / total x routed-expert
 * bytes, with routed-expert bytes summed from the files' tensor tables by name.
 */
class ExpertParallelBytesIT {
    /** One dense and one MoE layer; 16 experts of 3 x 512 x 2048 BF16 (6 MiB each) dominate the 100 MiB files. */
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(512).hidden(512).numLayers(2).numHeads(4).qLoraRank(64)
            .kvLoraRank(64).qkNope(32).qkRope(16).vHead(32).ffDense(1024).ffExpert(2048).numExperts(16).numExpertsUsed(2)
            .numSharedExperts(1).numDenseLeading(1).contextLength(256).weightType(GgmlType.BF16).seed(11).build();
    static final double TOLERANCE = 0.05;
    /** Where the reads' sum goes, so the JIT cannot drop them. */
    static volatile long sink;
    static Path dir;
    static Path gguf;
    static Path hf;

    @BeforeAll
    static void write() throws IOException {
        dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "ep-bytes"));
        gguf = dir.resolve("m.gguf");
        hf = dir.resolve("hf");
        SyntheticModelWriter.write(SPEC, gguf);
        SyntheticHfWriter.write(SPEC, hf, new SyntheticHfWriter.Options(2, false));
    }

    record Row(String format, int size, int rank, long expected, long resident, long viewed) {
        String line() {
            return String.format(Locale.ROOT, "%-11s EP %d rank %d: expected %7.2f MiB, read (resident) %7.2f MiB (%+.2f %%)%s",
                    format, size, rank, mib(expected), mib(resident), 100.0 * (resident - expected) / expected,
                    viewed < 0 ? "" : String.format(Locale.ROOT, ", viewed %7.2f MiB (%+.2f %%)", mib(viewed),
                            100.0 * (viewed - expected) / expected));
        }
    }

    @Test
    void eachRankReadsItsShareOfTheExpertsPlusTheSharedPart() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int size : new int[] {1, 2, 4}) {
            for (int rank = 0; rank < size; rank++) {
                rows.add(measure("gguf", List.of(gguf), size, rank));
                rows.add(measure("safetensors", shards(), size, rank));
            }
        }
        System.out.println("Bytes read per expert-parallel rank (" + SPEC.numExperts() + " experts, contiguous shares):");
        rows.forEach(r -> System.out.println("  " + r.line()));
        for (Row r : rows) {
            assertTrue(Math.abs(r.resident() - r.expected()) <= TOLERANCE * r.expected(), r.line());
            if (r.viewed() >= 0) {
                assertTrue(Math.abs(r.viewed() - r.expected()) <= TOLERANCE * r.expected(), r.line());
            }
        }
        // The share shrinks with the group: rank 0 of 4 reads well under rank 0 of 2.
        assertTrue(rows.get(6).resident() < 0.75 * rows.get(2).resident(), rows.get(6).line() + " vs " + rows.get(2).line());
    }

    private Row measure(String format, List<Path> files, int size, int rank) throws IOException {
        // Read the tensor tables before emptying the cache: from then on only the rank reads.
        long experts = format.equals("gguf") ? ggufExpertBytes() : hfExpertBytes();
        for (Path f : files) {
            PageResidency.evict(f);
            long left = PageResidency.residentBytes(f);
            assertTrue(left <= Files.size(f) / 200, "could not empty the page cache of " + f + " (" + left
                    + " bytes stay resident), so reads cannot be measured here; is the temporary directory on tmpfs?");
        }
        ShardPlan plan = ShardPlan.contiguous(size, SPEC.numExperts());
        int held = 0;
        for (int e = 0; e < SPEC.numExperts(); e++) {
            held += plan.holds(rank, e) ? 1 : 0;
        }
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        long expected = total - experts + experts * held / SPEC.numExperts();
        long viewed = -1;
        boolean sparse = size > 1; // as LoadedModel opens the files of an expert-parallel rank
        try (WeightSource source = format.equals("gguf") ? GgufWeightSource.open(gguf, sparse)
                : SafetensorsWeightSource.open(hf, sparse)) {
            final int r = rank;
            ModelWeights weights = ModelWeights.load(source, e -> plan.holds(r, e));
            sink = readEveryView(weights);
            if (source instanceof SafetensorsWeightSource st) {
                viewed = st.viewedBytes() + st.checkpoint().files().stream().mapToLong(SafetensorsFile::headerBytes).sum();
            }
            long resident = 0;
            for (Path f : files) {
                resident += PageResidency.residentBytes(f);
            }
            return new Row(format, size, rank, expected, resident, viewed);
        }
    }

    /** Reads a long from every page of every weight the rank holds, as its kernels would read them. */
    private static long readEveryView(ModelWeights w) {
        long sum = touch(w.tokenEmbedding()) + touch(w.output());
        for (LayerWeights l : w.layers()) {
            for (WeightMatrix m : new WeightMatrix[] {l.q(), l.qA(), l.qB(), l.kvAMqa(), l.attnOutput(), l.ffnGate(), l.ffnUp(),
                    l.ffnDown(), l.router(), l.sharedGate(), l.sharedUp(), l.sharedDown()}) {
                sum += touch(m);
            }
            if (l.isMoe()) {
                for (WeightMatrix[] experts : List.of(l.expertGate(), l.expertUp(), l.expertDown())) {
                    for (WeightMatrix m : experts) {
                        sum += touch(m);
                    }
                }
            }
        }
        return sum;
    }

    private static long touch(WeightMatrix m) {
        if (m == null) {
            return 0;
        }
        long sum = 0;
        MemorySegment data = m.data();
        for (long at = 0; at + 8 <= data.byteSize(); at += 512) {
            sum += data.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
        }
        return sum;
    }

    private static long ggufExpertBytes() {
        try (GgufFile f = GgufFile.open(gguf)) {
            return f.tensorInfos().values().stream().filter(t -> t.name().endsWith("_exps.weight"))
                    .mapToLong(TensorInfo::numBytes).sum();
        }
    }

    private static final Pattern EXPERT = Pattern.compile("model\\.layers\\.\\d+\\.mlp\\.experts\\.\\d+\\..*");

    private static long hfExpertBytes() {
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(hf)) {
            return c.tensors().values().stream().filter(t -> EXPERT.matcher(t.tensor().name()).matches())
                    .mapToLong(t -> t.tensor().numBytes()).sum();
        }
    }

    private static List<Path> shards() throws IOException {
        try (Stream<Path> s = Files.list(hf)) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            assertEquals(2, files.size());
            return files;
        }
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
