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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestMulti;

/** POST /v1/completions: continue a prompt. */
@Path("/v1/completions")
public class CompletionsResource {
    /** OpenAI's default budget for this endpoint when max_tokens is not given. */
    static final int DEFAULT_MAX_TOKENS = 16;

    private final ServedModel model;
    private final Generations generations;
    private final ResponseBodies bodies;

    CompletionsResource(ServedModel model, Generations generations, ResponseBodies bodies) {
        this.model = model;
        this.generations = generations;
        this.bodies = bodies;
    }

    /** Blocking: tokenizing a long prompt must not hold up the event loop. */
    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public RestMulti<String> complete(CompletionRequest request) {
        long arrivalNanos = System.nanoTime();
        if (request == null) {
            throw ApiException.badRequest(null, "the request body is empty; send a JSON object");
        }
        RequestValidation.requireModel(request.model(), model.id());
        RequestValidation.checkSampling(request);
        Map<Integer, Float> logitBias = RequestValidation.logitBias(request.logitBias(), model.tokenizer().vocabSize());
        refuseUnsupported(request);
        int[] prompt = Prompts.completion(request.prompt(), model.tokenizer());
        GenerationOptions options = RequestValidation.options(request, "prompt", prompt.length, model.contextLength(),
                DEFAULT_MAX_TOKENS).withLogitBias(logitBias);
        String id = "cmpl-" + UUID.randomUUID();
        long created = Instant.now().getEpochSecond();
        Multi<GenerationEvent> events = generations.start(id, prompt, options, arrivalNanos);
        String name = model.id();

        if (!options.stream()) {
            return bodies.document(events.collect().in(Collected::new, Collected::add).map(c ->
                    TextCompletion.of(id, created, name, List.of(new TextCompletion.Choice(0, c.text(), null,
                            c.finished().finishReason())), c.usage())));
        }
        Multi<TextCompletion> chunks = events.onItem().transformToMultiAndConcatenate(e -> switch (e) {
            case GenerationEvent.Text t -> Multi.createFrom().item(
                    TextCompletion.of(id, created, name, List.of(new TextCompletion.Choice(0, t.text(), null, null)), null));
            case GenerationEvent.Finished f -> {
                TextCompletion last = TextCompletion.of(id, created, name,
                        List.of(new TextCompletion.Choice(0, "", null, f.finishReason())), null);
                yield options.includeUsage()
                        ? Multi.createFrom().items(last, TextCompletion.of(id, created, name, List.of(),
                                Usage.of(f.promptTokens(), f.completionTokens())))
                        : Multi.createFrom().item(last);
            }
        });
        return bodies.serverSentEvents(chunks);
    }

    private static void refuseUnsupported(CompletionRequest r) {
        if (Boolean.TRUE.equals(r.echo())) {
            throw ApiException.badRequest("echo", "echo is not supported");
        }
        if (r.logprobs() != null) {
            throw ApiException.badRequest("logprobs", "logprobs are not supported");
        }
        if (r.suffix() != null) {
            throw ApiException.badRequest("suffix", "suffix is not supported");
        }
        if (r.bestOf() != null && r.bestOf() != 1) {
            throw ApiException.badRequest("best_of", "only best_of=1 is supported, got " + r.bestOf());
        }
    }
}
