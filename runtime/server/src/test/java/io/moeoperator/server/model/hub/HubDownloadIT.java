package io.moeoperator.server.model.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.ModelWeights;
import io.moeoperator.engine.safetensors.SafetensorsCheckpoint;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.server.it.HubFixture;
import io.moeoperator.server.it.HubStandIn;
import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * {@link RepositoryDownload} in this JVM against {@link HubStandIn} serving a sharded synthetic
 * checkpoint the engine wrote: whole downloads byte for byte, expert-parallel ranks taking only their
 * share (bytes per rank printed and checked against the tensors they need), a dropped connection
 * resumed, wrong sizes and hashes caught, and one message for each repository that cannot be served.
 */
class HubDownloadIT {
    static final Path ROOT = Path.of("target", "hub-it").toAbsolutePath();
    static final Path MODEL = ROOT.resolve("source");
    /** Experts large next to the rest, so a rank's share shows in the bytes; four shards mixing every rank's experts. */
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(4).numHeads(4).qLoraRank(32)
            .kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(128).numExperts(16).numExpertsUsed(2)
            .numSharedExperts(1).numDenseLeading(1).contextLength(256).weightType(GgmlType.BF16).seed(5).build();
    static final long CHUNK = 64 << 10;

    HubStandIn hub;
    Path cache;

    @BeforeAll
    static void writeModel() throws IOException {
        delete(MODEL);
        SyntheticHfWriter.write(SPEC, MODEL, new SyntheticHfWriter.Options(4, false));
    }

    @BeforeEach
    void start(TestInfo test) throws IOException {
        hub = HubStandIn.start();
        hub.addRepo("org/tiny", MODEL, null, Map.of("README.md", "# tiny\n".getBytes(), ".gitattributes", "*.safetensors filter=lfs\n".getBytes()));
        cache = ROOT.resolve("cache-" + test.getTestMethod().orElseThrow().getName());
        delete(cache);
    }

    @AfterEach
    void stop() throws IOException {
        hub.close();
    }

    RepositoryDownload.Result download(String repo, String token, ExpertShare share) {
        HubClient client = new HubClient(hub.endpoint(), Optional.ofNullable(token), Duration.ofSeconds(30));
        return RepositoryDownload.run(client, new RepositoryDownload.Request(repo, "main", cache, Optional.empty(),
                n -> ExpertSelection.forRank(share.rank(), share.size(), null, n), CHUNK));
    }

    record ExpertShare(int rank, int size) {
        static final ExpertShare ONE = new ExpertShare(0, 1);
    }

    @Test
    void oneProcessDownloadsEveryFileWholeAndASecondStartNothing() throws IOException {
        RepositoryDownload.Result r = download("org/tiny", null, ExpertShare.ONE);
        assertEquals(cache.resolve("org/tiny/snapshots").resolve(r.report().commit()), r.dir());
        long expected = 0;
        for (String name : sourceFiles()) {
            assertArrayEquals(Files.readAllBytes(MODEL.resolve(name)), Files.readAllBytes(r.dir().resolve(name)), name);
            expected += Files.size(MODEL.resolve(name));
        }
        assertFalse(Files.exists(r.dir().resolve("README.md")), "only what serving needs is downloaded");
        assertEquals(expected, r.report().downloadedBytes(), r.report().describe());
        assertEquals(hub.fileBytes.get(), r.report().downloadedBytes(), "the stand-in sent what the report counts");
        assertEquals(4, r.report().wholeShards());
        System.out.printf("EP 1: downloaded %d bytes, %d on disk, checkpoint %d%n", r.report().downloadedBytes(),
                r.report().localBytes(), r.report().checkpointBytes());

        int requests = hub.seen.size();
        RepositoryDownload.Result again = download("org/tiny", null, ExpertShare.ONE);
        assertTrue(again.report().fromCache(), again.report().describe());
        assertEquals(0, again.report().downloadedBytes());
        assertEquals(r.digest(), again.digest());
        assertTrue(hub.seen.subList(requests, hub.seen.size()).stream().allMatch(s -> s.path().startsWith("/api/")),
                "a second start only asks the API which commit main is: " + hub.seen.subList(requests, hub.seen.size()));
    }

    @Test
    void expertParallelRanksDownloadOnlyTheirExpertsAndTheSharedPart() throws IOException {
        try (SafetensorsCheckpoint source = SafetensorsCheckpoint.open(MODEL)) {
            String digest = null;
            for (int size : new int[] {2, 4}) {
                for (int rank = 0; rank < size; rank++) {
                    long sentBefore = hub.fileBytes.get();
                    RepositoryDownload.Result r = download("org/tiny", null, new ExpertShare(rank, size));
                    ExpertSelection sel = ExpertSelection.forRank(rank, size, null, SPEC.numExperts());
                    long needed = HubFixture.neededBytes(MODEL, sel);
                    try (SafetensorsCheckpoint local = SafetensorsCheckpoint.open(r.dir())) {
                        for (SafetensorsCheckpoint.Located t : source.tensors().values()) {
                            SafetensorsCheckpoint.Located mine = local.find(t.tensor().name());
                            if (sel.needs(t.tensor().name())) {
                                assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), mine.data().toArray(ValueLayout.JAVA_BYTE),
                                        t.tensor().name());
                            } else {
                                assertNull(mine, t.tensor().name() + " is another rank's: missing, not zeros");
                            }
                        }
                    }
                    try (SafetensorsWeightSource weights = SafetensorsWeightSource.open(r.dir())) {
                        ModelWeights.load(weights, e -> Arrays.binarySearch(sel.heldExperts(), e) >= 0); // what the rank loads is there
                    }
                    long downloaded = r.report().downloadedBytes();
                    long sent = hub.fileBytes.get() - sentBefore;
                    System.out.printf("EP %d rank %d (%s): downloaded %d bytes (stand-in sent %d; headers %d), needs %d"
                                    + " (%+.2f %%), on disk %d, checkpoint %d%n", size, rank, r.dir().getFileName(), downloaded, sent,
                            r.report().headerBytes(), needed, 100.0 * (downloaded - needed) / needed, r.report().localBytes(),
                            r.report().checkpointBytes());
                    assertEquals(sent, downloaded, "the stand-in sent what the report counts");
                    assertTrue(Math.abs(downloaded - needed) <= 0.05 * needed, "rank " + rank + " of " + size + ": " + downloaded
                            + " bytes downloaded, its experts and the shared part are " + needed);
                    assertTrue(downloaded < 0.75 * r.report().checkpointBytes(), r.report().describe());
                    assertEquals(digest == null ? r.digest() : digest, r.digest(), "every rank has the same weights' identity");
                    digest = r.digest();
                }
            }
        }
    }

    @Test
    void anFp8RankKeepsItsExpertsWithTheirBlockScales() throws IOException {
        Path fp8 = ROOT.resolve("source-fp8");
        delete(fp8);
        SyntheticHfWriter.write(SPEC.toBuilder().gating(io.moeoperator.engine.model.GatingFunction.SIGMOID).routerBias(true)
                .weightType(GgmlType.F8_E4M3).build(), fp8, new SyntheticHfWriter.Options(3, false));
        hub.addRepo("org/tiny-fp8", fp8, null, Map.of());
        RepositoryDownload.Result r = download("org/tiny-fp8", null, new ExpertShare(2, 4));
        ExpertSelection sel = ExpertSelection.forRank(2, 4, null, SPEC.numExperts());
        try (SafetensorsCheckpoint local = SafetensorsCheckpoint.open(r.dir());
             SafetensorsCheckpoint source = SafetensorsCheckpoint.open(fp8)) {
            long scales = local.tensors().keySet().stream().filter(n -> n.endsWith("_scale_inv")
                    && SafetensorsWeightSource.routedExpert(n) >= 0).count();
            assertEquals(4L * 3 * (SPEC.numLayers() - 1), scales, "each held expert's three FP8 weights keep their scales");
            assertEquals(source.tensors().keySet().stream().filter(sel::needs).sorted().toList(),
                    local.tensors().keySet().stream().sorted().toList());
        }
        try (SafetensorsWeightSource weights = SafetensorsWeightSource.open(r.dir())) {
            ModelWeights.load(weights, e -> Arrays.binarySearch(sel.heldExperts(), e) >= 0);
        }
    }

    @Test
    void aStartWhileTheHubIsUnreachableServesTheCommitTheCacheHolds() throws IOException {
        RepositoryDownload.Result first = download("org/tiny", null, new ExpertShare(1, 2));
        hub.close();
        RepositoryDownload.Result offline = download("org/tiny", null, new ExpertShare(1, 2));
        assertTrue(offline.report().fromCache(), offline.report().describe());
        assertEquals(first.dir(), offline.dir());
        assertEquals(first.digest(), offline.digest(), "the same weights' identity without the hub");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> download("org/other", null, ExpertShare.ONE));
        assertTrue(e.getMessage().startsWith("hf://org/other@main: cannot reach the hub at 127.0.0.1")
                && e.getMessage().contains("the cache has no complete download of this revision"), e.getMessage());
    }

    @Test
    void aDroppedConnectionResumesWhereItStopped() throws IOException {
        String shard = "model-00002-of-00004.safetensors";
        hub.dropPath = shard;
        hub.dropAfter = 40_000;
        hub.drops.set(2);
        RepositoryDownload.Result r = download("org/tiny", null, ExpertShare.ONE);
        assertArrayEquals(Files.readAllBytes(MODEL.resolve(shard)), Files.readAllBytes(r.dir().resolve(shard)));
        assertEquals(0, hub.drops.get(), "both drops happened");
        List<Long> starts = hub.requestsFor(shard).stream().filter(s -> s.method().equals("GET") && s.range() != null)
                .map(s -> Long.parseLong(s.range().replaceAll("bytes=(\\d+)-.*", "$1"))).toList();
        assertTrue(starts.contains(40_000L) && starts.contains(CHUNK + 40_000L),
                "each drop resumed at the byte it stopped at: " + starts);
        long whole = sourceFiles().stream().mapToLong(n -> size(MODEL.resolve(n))).sum();
        assertEquals(whole, r.report().downloadedBytes(), "no byte was downloaded twice");
    }

    @Test
    void aSizeOrHashTheHubDoesNotListIsCaughtNamingTheFile() throws Exception {
        String shard = "model-00003-of-00004.safetensors";
        long size = Files.size(MODEL.resolve(shard));
        hub.treeSize.put(shard, size + 1);
        ModelLoadException e = assertThrows(HubIntegrityException.class, () -> download("org/tiny", null, ExpertShare.ONE));
        assertTrue(e.getMessage().contains("hf://org/tiny@main file " + shard + ": the server has " + size
                + " bytes but the hub's tree lists " + (size + 1)), e.getMessage());

        hub.treeSize.clear();
        hub.treeHash.put(shard, "0".repeat(64));
        e = assertThrows(HubIntegrityException.class, () -> download("org/tiny", null, ExpertShare.ONE));
        String actual = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(MODEL.resolve(shard))));
        assertTrue(e.getMessage().contains(shard + ": the downloaded bytes have sha256 " + actual + " but the hub lists "
                + "0".repeat(64) + " (lfs.oid); the download was deleted"), e.getMessage());
        Path dir = cache.resolve("org/tiny/snapshots");
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(shard)), "nothing of the bad file is kept");
        }

        hub.treeHash.clear();
        delete(cache); // a small file in the cache was checked when written and is not downloaded again
        hub.treeHash.put("config.json", "1".repeat(40));
        e = assertThrows(HubIntegrityException.class, () -> download("org/tiny", null, ExpertShare.ONE));
        assertTrue(e.getMessage().contains("file config.json: the downloaded bytes have git blob sha1 "), e.getMessage());
    }

    @Test
    void repositoriesThatCannotBeServedAreRefusedWithOneMessageEach() throws IOException {
        hub.addRepo("org/gated", MODEL, "hf_secret", Map.of());
        hub.addRepo("org/quantized", null, null, Map.of("tiny-Q8_0.gguf", new byte[64], "tiny-Q4_0.gguf", new byte[32],
                "README.md", new byte[3]));
        hub.addRepo("org/broken", MODEL, null, Map.of());
        String vanished = "generation_config.json";
        hub.vanished.add("org/broken/" + vanished);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("org/missing", "hf://org/missing@main: no such repository, revision or file (HTTP 404 from 127.0.0.1: Repository not found)");
        cases.put("org/gated", "hf://org/gated@main file config.json is gated or private (HTTP 401 from 127.0.0.1: Access to model"
                + " org/gated is restricted): set HF_TOKEN");
        cases.put("org/quantized", "hf://org/quantized@main holds GGUF files and no safetensors checkpoint: choose the file to"
                + " serve with --model-file (tiny-Q4_0.gguf, tiny-Q8_0.gguf)");
        cases.put("org/broken", "hf://org/broken@main file " + vanished + ": no such repository, revision or file (HTTP 404");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> download(c.getKey(), null, ExpertShare.ONE));
            assertTrue(e.getMessage().startsWith(c.getValue()), c.getKey() + ": " + e.getMessage());
        }
        ModelLoadException wrongToken = assertThrows(ModelLoadException.class, () -> download("org/gated", "hf_other", ExpertShare.ONE));
        assertTrue(wrongToken.getMessage().contains("(HTTP 403 from 127.0.0.1") && wrongToken.getMessage().contains("has no access"),
                wrongToken.getMessage());
        RepositoryDownload.Result gated = download("org/gated", "hf_secret", ExpertShare.ONE);
        assertTrue(Files.isRegularFile(gated.dir().resolve("model-00001-of-00004.safetensors")));
        assertTrue(hub.seen.stream().filter(s -> s.server().equals("cdn")).allMatch(s -> s.auth() == null),
                "the token never goes to the CDN");
        assertNotEquals(0, hub.seen.stream().filter(s -> s.server().equals("cdn")).count());
    }

    /** The model directory's files, relative names. */
    static List<String> sourceFiles() throws IOException {
        try (Stream<Path> s = Files.list(MODEL)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
