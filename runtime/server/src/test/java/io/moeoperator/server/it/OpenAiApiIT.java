package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The packaged server on a synthetic model, driven by the official OpenAI Java client. */
@QuarkusIntegrationTest
@WithTestResource(SyntheticModelResource.class)
class OpenAiApiIT {
    static final String MODEL = SyntheticModelResource.MODEL_ID;

    @TestHTTPResource("/")
    URI base;

    Http http() {
        return new Http(base, null);
    }

    static CompletionCreateParams.Builder greedy(String prompt, int maxTokens) {
        return CompletionCreateParams.builder().model(MODEL).prompt(prompt).maxTokens(maxTokens).temperature(0.0);
    }

    /** What the engine's single-sequence Generator (checked against llama.cpp) makes of a prompt. */
    static GenerationResult reference(String prompt, int maxTokens) {
        try (LoadedModel m = LoadedModel.open(SyntheticModelResource.model(), 1)) {
            return m.generator().generate(prompt, maxTokens, SamplingParams.greedy(), null);
        }
    }

    @Test
    void listsTheServedModel() {
        OpenAIClient client = http().openAi();
        List<String> ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertEquals(List.of(MODEL), ids);
        JsonNode model = http().get("/v1/models").json().get("data").get(0);
        assertEquals(SyntheticModelResource.CONTEXT, model.get("max_model_len").asInt());
    }

    @Test
    void greedyCompletionEqualsTheReferenceGeneratorWithUsage() {
        String prompt = "Once upon a time";
        GenerationResult expected = reference(prompt, 24);
        Completion c = http().openAi().completions().create(greedy(prompt, 24).build());
        assertEquals(expected.text(), c.choices().get(0).text());
        assertEquals(expected.finishReason(), c.choices().get(0).finishReason().asString());
        CompletionUsage usage = c.usage().orElseThrow();
        assertEquals(expected.promptTokens().length, usage.promptTokens());
        assertEquals(expected.generatedTokens().length, usage.completionTokens());
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertEquals("text_completion", http().post("/v1/completions",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"a\",\"max_tokens\":2}").json().get("object").asText());
    }

    @Test
    void streamedCompletionHasTheSameTextAndEndsWithUsageAndDone() {
        String prompt = "The quick brown fox";
        Completion whole = http().openAi().completions().create(greedy(prompt, 20).build());
        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        List<CompletionUsage> usages = new ArrayList<>();
        try (StreamResponse<Completion> s = http().openAi().completions().createStreaming(greedy(prompt, 20)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> {
                    text.append(ch.text());
                    ch._finishReason().asKnown().map(f -> f.asString()).ifPresent(finishReasons::add);
                });
                chunk.usage().ifPresent(usages::add);
            });
        }
        assertEquals(whole.choices().get(0).text(), text.toString());
        assertEquals(List.of(whole.choices().get(0).finishReason().asString()), finishReasons);
        assertEquals(List.of(whole.usage().orElseThrow()), usages);

        String raw = http().post("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"a\",\"max_tokens\":3,"
                + "\"stream\":true}").body();
        assertTrue(raw.startsWith("data: {"), raw);
        assertTrue(raw.endsWith("\n\ndata: [DONE]\n\n"), raw);
    }

    @Test
    void streamingChatEqualsTheWholeReply() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL)
                .addSystemMessage("You are a storyteller.").addUserMessage("Tell me about the sea.")
                .maxCompletionTokens(24).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        ChatCompletion whole = http().openAi().chat().completions().create(params.toBuilder().streamOptions(
                java.util.Optional.empty()).build());
        String wholeText = whole.choices().get(0).message().content().orElseThrow();
        assertFalse(wholeText.isEmpty());

        StringBuilder text = new StringBuilder();
        List<String> roles = new ArrayList<>();
        List<String> finishReasons = new ArrayList<>();
        List<Long> completionTokens = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = http().openAi().chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                    ch.delta().role().ifPresent(r -> roles.add(r.asString()));
                    ch.delta().content().ifPresent(text::append);
                    ch.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
                }
                chunk.usage().ifPresent(u -> completionTokens.add(u.completionTokens()));
            });
        }
        assertEquals(wholeText, text.toString());
        assertEquals(List.of("assistant"), roles);
        assertEquals(List.of(whole.choices().get(0).finishReason().asString()), finishReasons);
        assertEquals(List.of(whole.usage().orElseThrow().completionTokens()), completionTokens);
    }

    @Test
    void stopStringsCutTheOutputAndFinishWithStop() {
        String prompt = "Once upon a time";
        String full = http().openAi().completions().create(greedy(prompt, 40).build()).choices().get(0).text();
        // A stop string from the middle of the greedy continuation: the output must end just before it.
        int at = full.length() / 2;
        String stop = full.substring(at, Math.min(full.length(), at + 3));
        String expected = full.substring(0, full.indexOf(stop));

        Completion c = http().openAi().completions().create(greedy(prompt, 40).stop(stop).build());
        assertEquals(expected, c.choices().get(0).text());
        assertEquals("stop", c.choices().get(0).finishReason().asString());

        String streamed;
        try (StreamResponse<Completion> s = http().openAi().completions().createStreaming(greedy(prompt, 40)
                .stop(CompletionCreateParams.Stop.ofStrings(List.of("\u0000never", stop))).build())) {
            streamed = s.stream().flatMap(ch -> ch.choices().stream()).map(CompletionChoice::text)
                    .collect(Collectors.joining());
        }
        assertEquals(expected, streamed);
    }

    @Test
    void seededSamplingIsReproducible() {
        CompletionCreateParams p = CompletionCreateParams.builder().model(MODEL).prompt("a").maxTokens(16)
                .temperature(1.0).topP(0.9).seed(42).build();
        String first = http().openAi().completions().create(p).choices().get(0).text();
        assertEquals(first, http().openAi().completions().create(p).choices().get(0).text());
    }

    /** Synthetic vocabularies hold all 256 byte tokens, as every byte-level BPE does: any text is a prompt. */
    @Test
    void promptsInAnyScriptAreServed() {
        for (String text : new String[] {"你好，世界！请介绍一下你自己。", "日本語で答えてください", "Привет, мир",
            "café crème 😀👍🏽", "\u0301 lone combining mark", "مرحبا"}) {
            Completion c = http().openAi().completions().create(greedy(text, 4).build());
            assertTrue(c.usage().orElseThrow().promptTokens() > 1, text);
            ChatCompletion chat = http().openAi().chat().completions().create(ChatCompletionCreateParams.builder()
                    .model(MODEL).addUserMessage(text).maxCompletionTokens(4).temperature(0.0).build());
            assertTrue(chat.choices().get(0).finishReason().asString().matches("stop|length"), text);
        }
    }

    @Test
    void logitBiasForcesAndBansTokensOnBothEndpoints() {
        // "e" is one token; +100 makes it the greedy choice at every step.
        String e = Integer.toString(tokenId("e"));
        JsonNode forced = http().post("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":6,\"temperature\":0,\"logit_bias\":{\"" + e + "\":100}}").json();
        assertEquals("eeeeee", forced.get("choices").get(0).get("text").asText(), forced.toString());
        JsonNode chat = http().post("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,\"temperature\":1.5,\"logit_bias\":{\"" + e + "\":100}}")
                .json();
        assertEquals("eeee", chat.get("choices").get(0).get("message").get("content").asText(), chat.toString());

        // -100 on the unbiased greedy continuation's first token: the continuation starts otherwise.
        GenerationResult unbiased = reference("Once upon a time", 1);
        int first = unbiased.generatedTokens()[0];
        JsonNode banned = http().post("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":1,\"temperature\":0,\"logit_bias\":{\"" + first + "\":-100}}").json();
        assertFalse(banned.get("choices").get(0).get("text").asText().equals(unbiased.text()), banned.toString());
    }

    private static int tokenId(String text) {
        try (LoadedModel m = LoadedModel.open(SyntheticModelResource.model(), 1)) {
            int[] ids = m.tokenizer().encode(text, false, false);
            assertEquals(1, ids.length, text + " is one token");
            return ids[0];
        }
    }

    @Test
    void healthEndpointsAreUp() {
        for (String probe : new String[] {"live", "ready", "started"}) {
            Http.Reply r = http().get("/q/health/" + probe);
            assertEquals(200, r.status(), probe + ": " + r.body());
            assertEquals("UP", r.json().get("status").asText(), probe);
        }
    }

    @Test
    void metricsCarryTheContractNames() {
        http().openAi().completions().create(greedy("Routing", 8).build());
        String text = http().get("/q/metrics").body();
        for (String name : new String[] {"moe_requests_waiting", "moe_requests_running", "moe_kv_cache_usage_ratio",
            "moe_request_success_total{finish_reason=\"length\"", "moe_request_success_total{finish_reason=\"stop\"",
            "moe_request_failure_total{reason=", "moe_prompt_tokens_total", "moe_generation_tokens_total",
            "moe_time_to_first_token_seconds_bucket", "moe_inter_token_latency_seconds_bucket",
            "moe_e2e_request_latency_seconds_bucket", "moe_expert_tokens_total{expert=\"0\",layer=\"1\""}) {
            assertTrue(text.contains(name), name + " missing from /q/metrics");
        }
        assertFalse(text.contains("moe_expert_tokens_total{expert=\"0\",layer=\"0\""), "layer 0 is dense");
        double routed = 0;
        for (int e = 0; e < SyntheticModelResource.SPEC.numExperts(); e++) {
            routed += http().metric("moe_expert_tokens_total", "expert=\"" + e + "\",layer=\"1\"");
        }
        assertTrue(routed > 0, "tokens were routed to layer 1's experts");
        assertTrue(http().metric("moe_prompt_tokens_total") > 0);
    }
}
