package io.moeoperator.server.generation;

import com.fasterxml.jackson.databind.JsonNode;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.server.api.ApiException;
import io.moeoperator.server.api.GenerationFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Checks the fields both endpoints share and turns them into {@link GenerationOptions}. Each
 * refusal names the field and the value, as OpenAI does; nothing unsupported is silently ignored.
 */
public final class RequestValidation {
    private RequestValidation() {}

    /** The model field must name the served model. */
    public static void requireModel(String requested, String served) {
        if (requested == null || requested.isEmpty()) {
            throw ApiException.badRequest("model", "missing 'model': this server serves '" + served + "'");
        }
        if (!requested.equals(served)) {
            throw ApiException.badRequest("model", "model_not_found",
                    "the model '" + abbreviate(requested) + "' does not exist; this server serves '" + served + "'");
        }
    }

    /** Field checks that do not depend on the prompt, done before tokenizing it. */
    public static void checkSampling(GenerationFields f) {
        if (f.n() != null && f.n() != 1) {
            throw ApiException.badRequest("n", "only n=1 is supported, got n=" + f.n());
        }
        sampling(f);
        stops(f.stop());
        unsupportedUnlessZero("presence_penalty", f.presencePenalty());
        unsupportedUnlessZero("frequency_penalty", f.frequencyPenalty());
    }

    /**
     * @param promptTokens     the tokenized prompt's length, already known to be below the context
     * @param context          the served context, which the KV cache holds for one sequence (start-up caps it so),
     *                         so no budget up to it is refused for want of cache
     * @param defaultMaxTokens the budget when the client sets none; capped to what the context has left
     */
    public static GenerationOptions options(GenerationFields f, String promptParam, int promptTokens, int context,
                                            int defaultMaxTokens) {
        if (promptTokens >= context) {
            throw ApiException.badRequest(promptParam, "context_length_exceeded", "the prompt is " + promptTokens
                    + " tokens long, but this model's context is " + context + " tokens; shorten the "
                    + promptParam);
        }
        int left = context - promptTokens;
        int maxTokens;
        if (f.maxTokens() == null) {
            maxTokens = Math.min(defaultMaxTokens, left);
        } else {
            maxTokens = f.maxTokens();
            if (maxTokens < 1) {
                throw ApiException.badRequest("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
            }
            if (maxTokens > left) {
                throw ApiException.badRequest("max_tokens", "context_length_exceeded", "this model's context is "
                        + context + " tokens, but " + (promptTokens + maxTokens) + " were requested (" + promptTokens
                        + " in the " + promptParam + ", " + maxTokens + " in max_tokens); lower max_tokens to at most "
                        + left);
            }
        }
        boolean stream = Boolean.TRUE.equals(f.stream());
        boolean includeUsage = stream && f.streamOptions() != null && Boolean.TRUE.equals(f.streamOptions().includeUsage());
        return new GenerationOptions(maxTokens, sampling(f), stops(f.stop()), stream, includeUsage);
    }

    private static SamplingParams sampling(GenerationFields f) {
        double temperature = f.temperature() == null ? 1.0 : f.temperature();
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiException.badRequest("temperature", "temperature must be between 0 and 2, got " + f.temperature());
        }
        double topP = f.topP() == null ? 1.0 : f.topP();
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.badRequest("top_p", "top_p must be greater than 0 and at most 1, got " + f.topP());
        }
        int topK = f.topK() == null ? 0 : f.topK();
        if (topK < -1) {
            throw ApiException.badRequest("top_k", "top_k must be -1 or 0 (no limit) or a positive count, got " + topK);
        }
        // Without a seed each request samples differently, as clients expect.
        long seed = f.seed() != null ? f.seed() : ThreadLocalRandom.current().nextLong();
        return new SamplingParams((float) temperature, Math.max(topK, 0), (float) topP, seed);
    }

    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return stops;
        }
        if (stop.isTextual()) {
            stops.add(stop.textValue());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw ApiException.badRequest("stop", "stop must be a string or a list of strings, got " + stop);
                }
                stops.add(s.textValue());
            }
        } else {
            throw ApiException.badRequest("stop", "stop must be a string or a list of strings, got " + stop);
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw ApiException.badRequest("stop", "stop strings must not be empty");
        }
        stops.forEach(s -> Prompts.requireWellFormed(s, "stop"));
        return stops;
    }

    /** OpenAI's bounds for a {@code logit_bias} value: -100 bans a token, 100 forces it. */
    static final double MAX_ABS_LOGIT_BIAS = 100;

    /**
     * {@code logit_bias}, as OpenAI defines it: a JSON object whose keys are token ids (decimal
     * integers below {@code vocabSize}) and whose values are numbers from -100 to 100.
     *
     * @return token id to bias; empty when the field is absent, null or {}
     */
    public static Map<Integer, Float> logitBias(JsonNode bias, int vocabSize) {
        if (bias == null || bias.isNull()) {
            return Map.of();
        }
        if (!bias.isObject()) {
            throw ApiException.badRequest("logit_bias", "logit_bias must be an object mapping token ids to biases"
                    + " from -100 to 100 (e.g. {\"50256\": -100}), got " + abbreviate(bias.toString()));
        }
        Map<Integer, Float> out = new HashMap<>();
        for (var e : bias.properties()) {
            String key = e.getKey();
            if (!TOKEN_ID.matcher(key).matches()) {
                throw ApiException.badRequest("logit_bias", "logit_bias key '" + abbreviate(key) + "' is not a token id:"
                        + " keys are decimal integers from 0 to " + (vocabSize - 1));
            }
            long id = key.length() > 10 ? Long.MAX_VALUE : Long.parseLong(key);
            if (id >= vocabSize) {
                throw ApiException.badRequest("logit_bias", "logit_bias key '" + abbreviate(key) + "' is outside the"
                        + " vocabulary: token ids are 0 to " + (vocabSize - 1));
            }
            JsonNode value = e.getValue();
            if (!value.isNumber() || !(Math.abs(value.asDouble()) <= MAX_ABS_LOGIT_BIAS)) {
                throw ApiException.badRequest("logit_bias", "logit_bias value for token " + id + " must be a number"
                        + " from -100 to 100, got " + abbreviate(value.toString()));
            }
            out.put((int) id, (float) value.asDouble());
        }
        return out;
    }

    private static final Pattern TOKEN_ID = Pattern.compile("[0-9]+");

    /** A client's value quoted in an error message, cut short: the reply need not repeat a megabyte. */
    static String abbreviate(String value) {
        if (value.length() <= 80) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(79)) ? 79 : 80; // never half a surrogate pair
        return value.substring(0, end) + "... (" + value.length() + " characters)";
    }

    static void unsupportedUnlessZero(String param, Double value) {
        if (value != null && value != 0) {
            throw ApiException.badRequest(param, param + " is not supported; leave it unset or 0, got " + value);
        }
    }
}
