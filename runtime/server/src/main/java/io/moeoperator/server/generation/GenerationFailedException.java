package io.moeoperator.server.generation;

import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.server.api.ApiException;
import java.util.Map;

/**
 * A request that the engine accepted and then could not finish: its step failed, or the engine shut
 * down under it. Its failure is already counted in {@code moe_request_failure_total} (by the request's
 * stream), so whoever writes the answer must not count it again.
 */
public final class GenerationFailedException extends RuntimeException {
    private final ApiException answer;

    private GenerationFailedException(ApiException answer, Throwable cause) {
        super(answer.getMessage(), cause);
        this.answer = answer;
    }

    /** The engine failed the request: 503 when an expert-parallel peer was lost, else 500. */
    public static GenerationFailedException engineError(RuntimeException error) {
        ApiException answer = error instanceof ExpertPeerUnavailableException
                ? ApiException.expertPeerUnavailable(error.getMessage())
                : new ApiException(500, "server_error", "generation failed: " + error.getMessage(), null, null, Map.of());
        return new GenerationFailedException(answer, error);
    }

    /** The engine cancelled the request without being asked: it is shutting down. */
    public static GenerationFailedException shuttingDown() {
        return new GenerationFailedException(ApiException.unavailable(
                "the request was cancelled: the server is shutting down"), null);
    }

    /** What the client is told: status, OpenAI error body, headers. */
    public ApiException answer() {
        return answer;
    }
}
