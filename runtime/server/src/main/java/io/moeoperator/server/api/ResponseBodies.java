package io.moeoperator.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.server.generation.GenerationFailedException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import java.io.UncheckedIOException;
import org.jboss.resteasy.reactive.RestMulti;

/**
 * Writes generation responses. Whether a response streams is in the request body
 * ({@code "stream": true}), not the URL, so one method must answer with either server-sent events
 * or a single JSON document; {@link RestMulti} lets it choose the content type per response.
 * Items are written as they come, each followed by a newline, which ends an SSE event.
 */
@ApplicationScoped
public class ResponseBodies {
    static final String DONE = "data: [DONE]\n";

    private final ObjectMapper json;

    ResponseBodies(ObjectMapper json) {
        this.json = json;
    }

    /** {@code data: <json>} events, then {@code data: [DONE]}; a failure mid-stream becomes an error event. */
    public RestMulti<String> serverSentEvents(Multi<?> events) {
        Multi<String> lines = events.map(e -> "data: " + write(e) + "\n")
                .onFailure().recoverWithItem(e -> "data: " + write(errorOf(e)) + "\n")
                .onCompletion().continueWith(DONE);
        return RestMulti.fromMultiData(lines).encodeAsJsonArray(false)
                .header("Content-Type", MediaType.SERVER_SENT_EVENTS)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no") // tell proxies not to hold events back
                .build();
    }

    /** One JSON document, sent when it is complete; a failure goes to the exception mappers. */
    public RestMulti<String> document(Uni<?> body) {
        return RestMulti.fromMultiData(body.map(this::write).toMulti()).encodeAsJsonArray(false)
                .header("Content-Type", MediaType.APPLICATION_JSON)
                .build();
    }

    String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ErrorBody errorOf(Throwable e) {
        if (e instanceof ApiException api) {
            return api.body();
        }
        if (e instanceof GenerationFailedException failed) {
            return failed.answer().body();
        }
        if (e instanceof ExpertPeerUnavailableException peer) {
            return ApiException.expertPeerUnavailable(peer.getMessage()).body();
        }
        return new ErrorBody(new ErrorBody.Detail("generation failed: " + e.getMessage(), "server_error", null, null));
    }
}
