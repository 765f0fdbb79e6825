package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Groups of {@code bin/moe serve} processes on loopback, each rank holding a share of the experts:
 * the same greedy text as one process, a rank killed mid-stream, a wrong secret, a restart.
 */
class ExpertParallelServeIT {
    static final List<String> PROMPTS = List.of("Once upon a time", "The quick brown fox", "Experts are chosen");
    static final Duration START = Duration.ofSeconds(120);

    static Path secret(String name, String value) throws Exception {
        Files.createDirectories(ServeProcess.LOGS);
        Path f = ServeProcess.LOGS.resolve(name);
        Files.writeString(f, value + "\n");
        return f;
    }

    /** {@code size} ranks on free loopback ports, ranks named like the operator's pods. */
    static List<ServeProcess> startGroup(String name, int size, Path secret, String... extra) throws Exception {
        return startGroup(SyntheticModelResource.model(), name, size, secret, extra);
    }

    static List<ServeProcess> startGroup(Path model, String name, int size, Path secret, String... extra) throws Exception {
        List<Integer> epPorts = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            epPorts.add(ServeProcess.freePort());
        }
        String peers = String.join(",", epPorts.stream().map(p -> "127.0.0.1:" + p).toList());
        List<ServeProcess> ranks = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            ranks.add(startRank(model, name, r, size, peers, secret, extra));
        }
        return ranks;
    }

    static ServeProcess startRank(String name, int rank, int size, String peers, Path secret, String... extra) throws Exception {
        return startRank(SyntheticModelResource.model(), name, rank, size, peers, secret, extra);
    }

    static ServeProcess startRank(Path model, String name, int rank, int size, String peers, Path secret, String... extra)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("--model", model.toString(),
                "--served-model-name", "tiny", "--ep-size", Integer.toString(size), "--ep-rank", name + "-g0-" + rank,
                "--ep-peers", peers, "--ep-secret-file", secret.toString()));
        args.addAll(List.of(extra));
        return ServeProcess.start(name + "-" + rank + "-" + System.nanoTime() % 100000, args.toArray(String[]::new));
    }

    static String complete(Http http, String prompt, int maxTokens) {
        JsonNode body = http.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"" + prompt + "\",\"max_tokens\":"
                + maxTokens + ",\"temperature\":0}").json();
        if (!body.has("choices")) {
            throw new AssertionError("not a completion: " + body);
        }
        return body.get("choices").get(0).get("text").asText();
    }

    static double expertTokens(Http http) {
        return http.get("/q/metrics").body().lines().filter(l -> l.startsWith("moe_expert_tokens_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    static void closeAll(List<ServeProcess> processes) throws InterruptedException {
        for (ServeProcess p : processes) {
            p.close();
        }
    }

    /** The tests' default model (softmax, 8 experts, a shared expert, F32) on groups of 1, 2 and 4. */
    @Test
    void groupsOfOneTwoAndFourGenerateWhatOneProcessDoes() throws Exception {
        assertGroupsMatchOneProcess(SyntheticModelResource.model(), new int[] {1, 2, 4}, new String[] {null, null, null});
    }

    /**
     * Sigmoid gating with a selection bias and normalised, scaled weights, Q8_0, 10 experts: a plan with
     * extra copies on 2 ranks, uneven default shares (3, 3, 2, 2) on 4.
     */
    @Test
    void sigmoidQ8GroupsWithCopiesAndUnevenSharesGenerateWhatOneProcessDoes() throws Exception {
        SynthSpec spec = SyntheticModelResource.SPEC.toBuilder().gating(GatingFunction.SIGMOID).routerBias(true)
                .expertWeightsNorm(true).expertWeightsScale(2.5f).numExperts(10).numExpertsUsed(3)
                .weightType(GgmlType.Q8_0).seed(7).build();
        Path model = SyntheticModelResource.PATH.resolveSibling("ep-sigmoid-q8.gguf");
        SyntheticModelWriter.write(spec, model);
        assertGroupsMatchOneProcess(model, new int[] {2, 4}, new String[] {"0-4+9,5-9+0", null});
    }

    private static void assertGroupsMatchOneProcess(Path model, int[] sizes, String[] plans) throws Exception {
        Path secret = secret("secret", "a-secret-for-the-parity-test-0123456789");
        List<String> expected = new ArrayList<>();
        double singleExpertTokens;
        try (ServeProcess single = ServeProcess.start("single", "--model", model.toString(), "--served-model-name", "tiny")) {
            single.awaitReady(START);
            for (String p : PROMPTS) {
                expected.add(complete(single.http(), p, 24));
            }
            singleExpertTokens = expertTokens(single.http());
        }
        assertTrue(expected.stream().allMatch(t -> !t.isEmpty()), expected.toString());

        for (int i = 0; i < sizes.length; i++) {
            int size = sizes[i];
            List<ServeProcess> group = plans[i] == null ? startGroup(model, "par" + size, size, secret)
                    : startGroup(model, "par" + size, size, secret, "--ep-experts", plans[i]);
            try {
                for (ServeProcess rank : group) {
                    rank.awaitReady(START);
                }
                double groupExpertTokens = 0;
                for (ServeProcess rank : group) {
                    for (int j = 0; j < PROMPTS.size(); j++) {
                        assertEquals(expected.get(j), complete(rank.http(), PROMPTS.get(j), 24),
                                model.getFileName() + ": rank " + rank.name + " of " + size + ", prompt '" + PROMPTS.get(j) + "'");
                    }
                    groupExpertTokens += expertTokens(rank.http());
                }
                // Counted once, on the rank that routed each token: every rank served the same prompts.
                assertEquals(size * singleExpertTokens, groupExpertTokens, 0.5, "moe_expert_tokens_total over the group");
                if (size > 1) {
                    Http rank0 = group.get(0).http();
                    assertEquals(1, rank0.metric("moe_ep_peer_up", "peer=\"1\""));
                    assertTrue(rank0.metric("moe_ep_dispatch_combine_seconds_count", "peer=\"1\"") > 0);
                    assertTrue(rank0.metric("moe_ep_bytes_sent_total", "peer=\"1\"") > 0);
                    assertTrue(rank0.metric("moe_ep_bytes_received_total", "peer=\"1\"") > 0);
                    assertTrue(group.get(0).log().contains("Expert-parallel rank 0 of " + size + " holds experts 0-"),
                            group.get(0).log());
                }
            } finally {
                closeAll(group);
            }
        }
    }

    @Test
    void aRankKilledMidStreamFailsTheRequestWithin10sAndTheGroupRecoversAfterRestart() throws Exception {
        Path secret = secret("secret-2", "another-secret-for-the-fault-test-98765");
        Path wrongSecret = secret("wrong-secret", "not-the-group-secret-at-all-1234567890");
        List<ServeProcess> group = startGroup("kill", 2, secret);
        List<ServeProcess> started = new ArrayList<>(group);
        try {
            group.get(0).awaitReady(START);
            group.get(1).awaitReady(START);
            Http rank0 = group.get(0).http();
            String before = complete(rank0, PROMPTS.get(0), 24);

            // A long streaming request on rank 0; rank 1 dies after its first tokens.
            HttpRequest request = HttpRequest.newBuilder(rank0.base().resolve("/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"prompt\":\"Once upon a time\","
                            + "\"max_tokens\":1000,\"temperature\":0,\"stream\":true}")).build();
            HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            Iterator<String> lines = response.body().filter(l -> l.startsWith("data: ")).iterator();
            for (int i = 0; i < 5; i++) {
                String event = lines.next();
                assertTrue(event.contains("\"text\""), event);
            }
            long killedAt = System.nanoTime();
            group.get(1).kill();
            String last = null;
            int textEvents = 0;
            while (lines.hasNext()) {
                String event = lines.next();
                if (event.equals("data: [DONE]")) {
                    break;
                }
                if (event.contains("\"finish_reason\":\"length\"") || event.contains("\"finish_reason\":\"stop\"")) {
                    throw new AssertionError("the request finished before rank 1 was killed: " + event);
                }
                textEvents++;
                last = event;
            }
            long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            assertTrue(last != null && last.contains("\"code\":\"expert_peer_unavailable\""), "last event: " + last);
            assertTrue(failedAfterMs < 10_000, "the client heard of the failure only after " + failedAfterMs + " ms");
            System.out.printf("rank 1 killed: the stream failed after %d ms (%d more events)%n", failedAfterMs, textEvents);

            // Rank 0 lives on, is not ready, and refuses requests clearly.
            assertEquals(200, rank0.get("/q/health/live").status());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (group.get(0).isReady()) {
                assertTrue(System.nanoTime() < deadline, "rank 0 still ready without rank 1");
                Thread.sleep(100);
            }
            JsonNode error = rank0.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":4}").error(503);
            assertEquals("expert_peer_unavailable", error.get("code").asText());
            assertTrue(error.get("message").asText().startsWith("expert rank 1 (127.0.0.1:"), error.toString());

            // A rank 1 with the wrong secret is refused, both ways, and says so.
            String peers = group.get(0).log().lines().filter(l -> l.contains("listening on")).findFirst().orElseThrow();
            String peerList = peers.substring(peers.indexOf("peers [") + 7, peers.lastIndexOf(']')).replace(" ", "");
            ServeProcess impostor = startRank("kill", 1, 2, peerList, wrongSecret);
            started.add(impostor);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(impostor.log().contains("[reason=secret]: authentication failed: rank 0 does not hold this rank's shared "
                    + "secret; give every rank the same --ep-secret-file") && group.get(0).log().contains(
                    "[reason=secret]: authentication failed: rank 1 does not hold this rank's shared secret"))) {
                assertTrue(System.nanoTime() < deadline, "no refusal logged: " + impostor.log());
                assertTrue(impostor.isAlive(), impostor.log());
                Thread.sleep(200);
            }
            Http.Reply impostorReady = impostor.readiness(START);
            assertEquals(503, impostorReady.status(), impostorReady.body());
            assertTrue(impostorReady.body().contains("refused [reason=secret]: authentication failed"), impostorReady.body());
            assertTrue(!group.get(0).isReady(), "a refused peer makes neither rank ready");
            assertTrue(rank0.metric("moe_ep_peer_refusals_total", "peer=\"1\",reason=\"secret\"") >= 1);
            impostor.close();

            // The real rank 1 comes back: the group serves again, with the same output, no restart of rank 0.
            ServeProcess back = startRank("kill", 1, 2, peerList, secret);
            started.add(back);
            back.awaitReady(START);
            group.get(0).awaitReady(Duration.ofSeconds(20));
            assertEquals(before, complete(rank0, PROMPTS.get(0), 24));
            assertEquals(before, complete(back.http(), PROMPTS.get(0), 24));
        } finally {
            closeAll(started);
        }
    }

    /** SIGSTOP: the process is there, its sockets are open, it answers nothing (a hung node). */
    @Test
    void aFrozenRankFailsRequestsWithin10sAndTheGroupServesAgainWhenItResumes() throws Exception {
        Path secret = secret("secret-4", "a-secret-for-the-frozen-rank-test-55555");
        List<ServeProcess> group = startGroup("frozen", 2, secret);
        try {
            group.get(0).awaitReady(START);
            group.get(1).awaitReady(START);
            Http rank0 = group.get(0).http();
            String before = complete(rank0, PROMPTS.get(1), 24);

            group.get(1).signal("STOP");
            long t0 = System.nanoTime();
            JsonNode error = rank0.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"" + PROMPTS.get(1)
                    + "\",\"max_tokens\":24,\"temperature\":0}").error(503);
            long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals("expert_peer_unavailable", error.get("code").asText());
            assertTrue(failedAfterMs < 10_000, "the request failed only after " + failedAfterMs + " ms");
            System.out.printf("rank 1 frozen: the request failed after %d ms: %s%n", failedAfterMs, error.get("message").asText());
            assertEquals(200, rank0.get("/q/health/live").status());
            assertTrue(!group.get(0).isReady(), "rank 0 is not ready while rank 1 is frozen");

            group.get(1).signal("CONT");
            group.get(0).awaitReady(Duration.ofSeconds(30));
            group.get(1).awaitReady(Duration.ofSeconds(30));
            assertEquals(before, complete(rank0, PROMPTS.get(1), 24));
            assertEquals(before, complete(group.get(1).http(), PROMPTS.get(1), 24));
        } finally {
            group.get(1).signal("CONT");
            closeAll(group);
        }
    }

    @Test
    void misconfiguredGroupsStopAtStartUpNamingTheFlag() throws Exception {
        try (ServeProcess p = ServeProcess.start("no-secret", "--model", SyntheticModelResource.model().toString(),
                "--ep-size", "2", "--ep-rank", "0", "--ep-peers", "127.0.0.1:1,127.0.0.1:2")) {
            assertNotEquals(0, p.awaitExit(START));
            assertTrue(p.log().contains("--ep-secret-file is required with --ep-size 2"), p.log());
            assertTrue(!p.log().contains("\tat "), "no stack trace: " + p.log());
        }
        Path secret = secret("secret-3", "yet-another-secret-for-config-tests-42");
        try (ServeProcess p = ServeProcess.start("bad-plan", "--model", SyntheticModelResource.model().toString(),
                "--ep-size", "2", "--ep-rank", "x-g0-1", "--ep-peers", "127.0.0.1:1,127.0.0.1:" + ServeProcess.freePort(),
                "--ep-secret-file", secret.toString(), "--ep-experts", "0-3,4-9")) {
            assertNotEquals(0, p.awaitExit(START));
            assertTrue(p.log().contains("--ep-experts: rank 1 lists expert 9 but the model has 8 routed experts"), p.log());
        }
    }
}
