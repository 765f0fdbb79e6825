package io.moeoperator.server.api;

import io.moeoperator.server.generation.GenerationEvent;
import io.moeoperator.server.generation.GenerationOptions;
import io.moeoperator.server.generation.Generations;
import io.moeoperator.server.generation.Prompts;
import io.moeoperator.server.generation.RequestValidation;
import io.moeoperator.server.model.ServedModel;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestMulti;

/** POST /v1/chat/completions: the assistant's next turn in a conversation. */
@Path("/v1/chat/completions")
public class ChatCompletionsResource {
    private final ServedModel model;
    private final Generations generations;
    private final ResponseBodies bodies;

    ChatCompletionsResource(ServedModel model, Generations generations, ResponseBodies bodies) {
        this.model = model;
        this.generations = generations;
        this.bodies = bodies;
    }

    /** Blocking: rendering the template and tokenizing must not hold up the event loop. */
    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public RestMulti<String> chat(ChatCompletionRequest request) {
        long arrivalNanos = System.nanoTime();
        if (request == null) {
            throw ApiException.badRequest(null, "the request body is empty; send a JSON object");
        }
        RequestValidation.requireModel(request.model(), model.id());
        RequestValidation.checkSampling(request);
        Map<Integer, Float> logitBias = RequestValidation.logitBias(request.logitBias(), model.tokenizer().vocabSize());
        if (Boolean.TRUE.equals(request.logprobs())) {
            throw ApiException.badRequest("logprobs", "logprobs are not supported");
        }
        if (request.tools() != null && !request.tools().isNull() && !request.tools().isEmpty()) {
            throw ApiException.badRequest("tools", "tools are not supported");
        }
        int[] prompt = Prompts.chat(request.messages(), model.chatTemplate(), model.tokenizer());
        // Without max_tokens a chat reply may use the rest of the context, as OpenAI's does.
        GenerationOptions options = RequestValidation.options(request, "messages", prompt.length,
                model.contextLength(), Integer.MAX_VALUE).withLogitBias(logitBias);
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = Instant.now().getEpochSecond();
        Multi<GenerationEvent> events = generations.start(id, prompt, options, arrivalNanos);
        String name = model.id();

        if (!options.stream()) {
            return bodies.document(events.collect().in(Collected::new, Collected::add).map(c ->
                    ChatCompletion.of(id, created, name, c.text(), c.finished().finishReason(), c.usage())));
        }
        // The role first, at once: the client sees the response start before the first token.
        ChatCompletionChunk role = ChatCompletionChunk.of(id, created, name,
                new ChatCompletionChunk.Delta("assistant", ""), null);
        Multi<ChatCompletionChunk> chunks = events.onItem().transformToMultiAndConcatenate(e -> switch (e) {
            case GenerationEvent.Text t -> Multi.createFrom().item(
                    ChatCompletionChunk.of(id, created, name, new ChatCompletionChunk.Delta(null, t.text()), null));
            case GenerationEvent.Finished f -> {
                ChatCompletionChunk last = ChatCompletionChunk.of(id, created, name,
                        new ChatCompletionChunk.Delta(null, null), f.finishReason());
                yield options.includeUsage()
                        ? Multi.createFrom().items(last, ChatCompletionChunk.usageOnly(id, created, name,
                                Usage.of(f.promptTokens(), f.completionTokens())))
                        : Multi.createFrom().item(last);
            }
        });
        return bodies.serverSentEvents(Multi.createBy().concatenating().streams(Multi.createFrom().item(role), chunks));
    }
}
