package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.server.model.hub.ExpertSelection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code moe serve --model hf://org/repo} (no --model-file) against {@link HubStandIn} serving a
 * sharded synthetic checkpoint: one process serves what the local directory generates; a group of
 * two ranks, each downloading its experts and the shared tensors, serves the same; a process killed
 * mid-download resumes from its state on disk; repositories it cannot serve stop start-up with one line.
 */
class HuggingFaceRepositoryIT {
    static final Path ROOT = Path.of("target", "hf-repo-it").toAbsolutePath();
    static final Path MODEL = ROOT.resolve("source");
    static final String PROMPT = "Once upon a time";
    static final Duration START = Duration.ofSeconds(120);
    static final Pattern MODEL_BYTES = Pattern.compile("Model bytes of ([^:]+): downloaded (\\d+) in this start \\((\\d+) of them"
            + " headers\\), (\\d+) on disk and mapped, (\\d+) read by the engine; the checkpoint has (\\d+)");
    static String expected;

    final List<HubStandIn> hubs = new ArrayList<>();
    Path cache;

    @BeforeAll
    static void writeModel() throws IOException {
        delete(MODEL);
        SyntheticHfWriter.write(SyntheticModelResource.SPEC, MODEL, new SyntheticHfWriter.Options(3, false));
        try (LoadedModel local = LoadedModel.open(MODEL, 1)) {
            expected = local.generator().generate(PROMPT, 12, SamplingParams.greedy(), null).text();
        }
    }

    @BeforeEach
    void freshCache() throws IOException {
        cache = ROOT.resolve("cache");
        delete(cache);
    }

    @AfterEach
    void stopHubs() throws IOException {
        for (HubStandIn h : hubs) {
            h.close();
        }
    }

    HubStandIn hub() throws IOException {
        HubStandIn h = HubStandIn.start();
        h.addRepo("org/tiny", MODEL, null, Map.of("README.md", "# tiny\n".getBytes()));
        hubs.add(h);
        return h;
    }

    static Map<String, String> env(HubStandIn hub, String... more) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("HF_ENDPOINT", hub.endpoint()));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    @Test
    void oneProcessServesTheRepositoryAsTheLocalDirectoryGenerates() throws Exception {
        HubStandIn hub = hub();
        try (ServeProcess p = ServeProcess.start("hf-repo-one", env(hub), "--model", "hf://org/tiny", "--model-cache", cache.toString())) {
            p.awaitReady(START);
            assertEquals("org/tiny", p.http().get("/v1/models").json().get("data").get(0).get("id").asText());
            assertEquals(expected, complete(p, "org/tiny"));
            Matcher m = modelBytes(p);
            System.out.printf("EP 1: %s%n", m.group());
            assertEquals(hub.fileBytes.get(), Long.parseLong(m.group(2)), "the log counts what the stand-in sent");
            assertEquals(Long.parseLong(m.group(6)), Long.parseLong(m.group(4)), "one process keeps every weight file");
        }
    }

    @Test
    void twoRanksDownloadTheirShareEachAndServeTheSameText() throws Exception {
        List<Integer> epPorts = List.of(ServeProcess.freePort(), ServeProcess.freePort());
        String peers = "127.0.0.1:" + epPorts.get(0) + ",127.0.0.1:" + epPorts.get(1);
        Path secret = ExpertParallelServeIT.secret("hf-repo-secret", "s3cret-for-hub-ranks");
        List<ServeProcess> ranks = new ArrayList<>();
        List<HubStandIn> rankHubs = List.of(hub(), hub()); // one stand-in per rank: each counts one rank's bytes
        try {
            for (int r = 0; r < 2; r++) {
                ranks.add(ServeProcess.start("hf-repo-rank-" + r, env(rankHubs.get(r)), "--model", "hf://org/tiny", "--model-cache",
                        cache.toString(), "--ep-size", "2", "--ep-rank", "hfrepo-g0-" + r, "--ep-peers", peers,
                        "--ep-secret-file", secret.toString()));
            }
            for (ServeProcess p : ranks) {
                p.awaitReady(START);
            }
            assertEquals(expected, complete(ranks.get(0), "org/tiny"), "rank 0 with its peer generates what one process does");
            for (int r = 0; r < 2; r++) {
                Matcher m = modelBytes(ranks.get(r));
                long downloaded = Long.parseLong(m.group(2));
                long needed = HubFixture.neededBytes(MODEL, ExpertSelection.forRank(r, 2, null, SyntheticModelResource.SPEC.numExperts()));
                System.out.printf("EP 2 rank %d: stand-in sent %d, needed %d (%+.2f %%); %s%n", r, rankHubs.get(r).fileBytes.get(),
                        needed, 100.0 * (downloaded - needed) / needed, m.group());
                assertEquals(rankHubs.get(r).fileBytes.get(), downloaded, "the log counts what the stand-in sent");
                assertTrue(Math.abs(downloaded - needed) <= 0.05 * needed, m.group() + "; needed " + needed);
                assertTrue(Long.parseLong(m.group(4)) < Long.parseLong(m.group(6)), "a rank keeps less than the checkpoint: " + m.group());
            }
        } finally {
            for (ServeProcess p : ranks) {
                p.close();
            }
        }
    }

    @Test
    void aProcessKilledMidDownloadResumesFromItsStateOnDisk() throws Exception {
        HubStandIn hub = hub();
        String shard = "model-00002-of-00003.safetensors";
        long chunk = 16 << 10;
        assertTrue(Files.size(MODEL.resolve(shard)) > 3 * chunk, "the shard spans more than three chunks");
        hub.stallPath = shard;
        hub.stallOnRequest = 3;
        Map<String, String> env = env(hub, "MOE_MODEL_DOWNLOAD_CHUNK", Long.toString(chunk));
        String[] args = {"--model", "hf://org/tiny", "--model-cache", cache.toString()};
        try (ServeProcess first = ServeProcess.start("hf-repo-killed", env, args)) {
            assertTrue(hub.stalled.await(START.toSeconds(), TimeUnit.SECONDS), "the third chunk was asked for: " + first.log());
            first.kill();
        }
        Path dir;
        try (Stream<Path> s = Files.list(cache.resolve("org/tiny/snapshots"))) {
            dir = s.findFirst().orElseThrow();
        }
        String state = Files.readString(dir.resolve(shard + ".part.state"));
        assertTrue(state.contains("\"done\":" + 2 * chunk), "two chunks were saved before the kill: " + state);
        hub.release.countDown();
        int before = hub.seen.size();
        try (ServeProcess second = ServeProcess.start("hf-repo-resumed", env, args)) {
            second.awaitReady(START);
            assertTrue(second.log().contains("resuming after " + String.format(java.util.Locale.ROOT, "%.1f kB", 2 * chunk / 1000.0) + " already on disk"),
                    second.log());
            assertEquals(expected, complete(second, "org/tiny"));
        }
        String object = sha256(shard);
        List<String> ranges = hub.seen.subList(before, hub.seen.size()).stream()
                .filter(s -> s.method().equals("GET") && s.range() != null && s.path().endsWith(object)).map(HubStandIn.Seen::range).toList();
        assertEquals("bytes=" + 2 * chunk + "-" + (3 * chunk - 1), ranges.getFirst(), "the restart asks for the third chunk first: " + ranges);
        assertArrayEquals(Files.readAllBytes(MODEL.resolve(shard)), Files.readAllBytes(dir.resolve(shard)));
        assertTrue(!Files.exists(dir.resolve(shard + ".part.state")), "the state goes with the finished download");
    }

    @Test
    void repositoriesThatCannotBeServedStopStartUpWithOneLine() throws Exception {
        HubStandIn hub = hub();
        hub.addRepo("org/quantized", null, null, Map.of("tiny-Q8_0.gguf", new byte[64], "tiny-Q4_0.gguf", new byte[32]));
        hub.addRepo("org/gated", MODEL, "hf_secret", Map.of());
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("hf://org/quantized@main holds GGUF files and no safetensors checkpoint: choose the file to serve with --model-file"
                + " (tiny-Q4_0.gguf, tiny-Q8_0.gguf)", new String[] {"--model", "hf://org/quantized"});
        cases.put("hf://org/gated@main file config.json is gated or private (HTTP 401", new String[] {"--model", "hf://org/gated"});
        cases.put("hf://org/missing@main: no such repository, revision or file (HTTP 404", new String[] {"--model", "hf://org/missing"});
        cases.put("--model-format safetensors with --model-file: --model-file names a GGUF file of the repository",
                new String[] {"--model", "hf://org/tiny", "--model-file", "tiny.gguf", "--model-format", "safetensors"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            List<String> args = new ArrayList<>(List.of(c.getValue()));
            args.addAll(List.of("--model-cache", cache.toString()));
            try (ServeProcess p = ServeProcess.start("hf-repo-refused", env(hub), args.toArray(String[]::new))) {
                assertNotEquals(0, p.awaitExit(START), String.join(" ", args));
                assertTrue(p.log().contains(c.getKey()), c.getKey() + " in: " + p.log());
                assertTrue(!p.log().contains("\tat "), "a message, not a stack trace: " + p.log());
            }
        }
    }

    static String complete(ServeProcess p, String model) {
        return p.http().post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"" + PROMPT
                + "\",\"max_tokens\":12,\"temperature\":0}").json().get("choices").get(0).get("text").asText();
    }

    static Matcher modelBytes(ServeProcess p) {
        Matcher m = MODEL_BYTES.matcher(p.log());
        assertTrue(m.find(), "the start-up log reports the model's bytes: " + p.log());
        return m;
    }

    static String sha256(String file) throws IOException {
        return Hashes.hex("SHA-256", Files.readAllBytes(MODEL.resolve(file)));
    }

    static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
