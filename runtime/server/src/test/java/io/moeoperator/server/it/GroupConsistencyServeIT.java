package io.moeoperator.server.it;

import static io.moeoperator.server.it.ExpertParallelServeIT.START;
import static io.moeoperator.server.it.ExpertParallelServeIT.complete;
import static io.moeoperator.server.it.ExpertParallelServeIT.startRank;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.moeoperator.engine.gguf.ModelDigest;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: real {@code bin/moe serve} ranks that would serve different things refuse each other
 * instead of exchanging tokens, say why (log, metric, readiness), and form the group once the wrong
 * rank is replaced, generating what one process does.
 */
class GroupConsistencyServeIT {

    @Test
    void ranksWithAnotherModelOrPlanAreRefusedUntilTheWrongRankIsReplaced() throws Exception {
        Path model = SyntheticModelResource.model();
        // Same shapes (hidden 64, 8 experts...), other weights: only the digest tells them apart.
        Path otherModel = SyntheticModelResource.PATH.resolveSibling("consistency-other-seed.gguf");
        SyntheticModelWriter.write(SyntheticModelResource.SPEC.toBuilder().seed(4).build(), otherModel);
        String digest = ModelDigest.of(model).substring(0, 19);
        String otherDigest = ModelDigest.of(otherModel).substring(0, 19);
        assertNotEquals(digest, otherDigest);

        String prompt = ExpertParallelServeIT.PROMPTS.get(0);
        String expected;
        try (ServeProcess single = ServeProcess.start("consistency-single", "--model", model.toString(),
                "--served-model-name", "tiny")) {
            single.awaitReady(START);
            expected = complete(single.http(), prompt, 24);
        }

        Path secret = ExpertParallelServeIT.secret("secret-consistency", "a-secret-for-the-consistency-test-31415");
        int port0 = ServeProcess.freePort();
        int port1 = ServeProcess.freePort();
        String peers = "127.0.0.1:" + port0 + ",127.0.0.1:" + port1;
        List<ServeProcess> started = new ArrayList<>();
        try {
            ServeProcess rank0 = startRank(model, "mix", 0, 2, peers, secret);
            started.add(rank0);
            ServeProcess wrongModel = startRank(otherModel, "mix", 1, 2, peers, secret);
            started.add(wrongModel);

            // Both ends refuse, naming both digests, each in its own terms.
            String line0 = "refused rank 1 (127.0.0.1:" + port1 + ") [reason=model]: model " + digest + " (this rank) vs "
                    + otherDigest + " (rank 1); every rank of a group must serve the same model file";
            String line1 = "refused rank 0 (127.0.0.1:" + port0 + ") [reason=model]: model " + otherDigest + " (this rank) vs "
                    + digest + " (rank 0)";
            awaitOrFail(() -> rank0.log().contains(line0) && wrongModel.log().contains(line1), rank0, wrongModel);
            assertTrue(rank0.log().contains("Model digest " + digest), rank0.log());
            Http.Reply ready0 = rank0.readiness(START);
            Http.Reply ready1 = wrongModel.readiness(START);
            assertEquals(503, ready0.status(), ready0.body());
            assertEquals(503, ready1.status(), ready1.body());
            JsonNode peerCheck = check(ready0, "expert-peers");
            assertTrue(peerCheck.get("data").get("rank 1").asText().startsWith("127.0.0.1:" + port1
                    + ": refused [reason=model]: model " + digest + " (this rank) vs " + otherDigest + " (rank 1)"), ready0.body());
            JsonNode error = rank0.http().post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":4}").error(503);
            assertEquals("expert_peer_unavailable", error.get("code").asText());

            // Reconnects keep being refused and counted; the cause is logged once.
            awaitOrFail(() -> refusals(rank0, 1, "model") >= 4 && refusals(wrongModel, 0, "model") >= 4, rank0, wrongModel);
            assertEquals(1, count(rank0.log(), "refused rank 1 (127.0.0.1:" + port1 + ") [reason=model]"), rank0.log());
            assertEquals(1, count(wrongModel.log(), "refused rank 0 (127.0.0.1:" + port0 + ") [reason=model]"), wrongModel.log());
            assertEquals(0, refusals(rank0, 1, "secret") + refusals(rank0, 1, "shard_plan") + refusals(rank0, 1, "version"));
            wrongModel.close();

            // The right model, another shard plan: refused as shard_plan.
            ServeProcess wrongPlan = startRank(model, "mix", 1, 2, peers, secret, "--ep-experts", "0-5,6-7");
            started.add(wrongPlan);
            String planLine = "refused rank 1 (127.0.0.1:" + port1 + ") [reason=shard_plan]: shard plan 8 experts over 2 ranks: "
                    + "0-3,4-7 (this rank) vs 8 experts over 2 ranks: 0-5,6-7 (rank 1); give every rank the same --ep-size and "
                    + "--ep-experts (or none)";
            awaitOrFail(() -> rank0.log().contains(planLine) && wrongPlan.log().contains("[reason=shard_plan]"), rank0, wrongPlan);
            awaitOrFail(() -> refusals(rank0, 1, "shard_plan") >= 1, rank0, wrongPlan);
            assertEquals(503, wrongPlan.readiness(START).status());
            assertTrue(!rank0.isReady(), "rank 0 is not ready beside a rank with another plan");
            wrongPlan.close();

            // The rank replaced with the right model and plan: the group forms and generates what one process does.
            ServeProcess right = startRank(model, "mix", 1, 2, peers, secret);
            started.add(right);
            right.awaitReady(START);
            rank0.awaitReady(Duration.ofSeconds(30));
            assertEquals(expected, complete(rank0.http(), prompt, 24));
            assertEquals(expected, complete(right.http(), prompt, 24));
            assertEquals(1, rank0.http().metric("moe_ep_peer_up", "peer=\"1\""));
        } finally {
            ExpertParallelServeIT.closeAll(started);
        }
    }

    static double refusals(ServeProcess p, int peer, String reason) {
        return p.http().metric("moe_ep_peer_refusals_total", "peer=\"" + peer + "\",reason=\"" + reason + "\"");
    }

    static JsonNode check(Http.Reply reply, String name) {
        for (JsonNode c : reply.json().get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + reply.body());
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** Waits for {@code condition} (which may scrape the processes) while they live; fails with their logs. */
    static void awaitOrFail(BooleanSupplier condition, ServeProcess... processes) throws InterruptedException {
        long deadline = System.nanoTime() + START.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (AssertionError notListeningYet) {
                // a scrape before the HTTP server is up
            }
            StringBuilder logs = new StringBuilder();
            for (ServeProcess p : processes) {
                assertTrue(p.isAlive(), p.name + " exited: " + p.log());
                logs.append("\n--- ").append(p.name).append(":\n").append(p.log());
            }
            assertTrue(System.nanoTime() < deadline, "not within " + START + ":" + logs);
            Thread.sleep(200);
        }
    }
}
