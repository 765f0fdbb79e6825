package io.moeoperator.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.server.metrics.ServingMetrics;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves the server as OpenAI's error body, with a 4xx status for anything the client
 * can fix; a 5xx means a fault of the server. Refused generation requests are counted in
 * {@code moe_request_failure_total}.
 */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    private final ServingMetrics metrics;

    ErrorMappers(ServingMetrics metrics) {
        this.metrics = metrics;
    }

    @ServerExceptionMapper
    public Response api(ApiException e, HttpServerRequest request) {
        return respond(e, request);
    }

    /** Malformed JSON, or a field of the wrong type (a string for max_tokens, a number too large). */
    @ServerExceptionMapper
    public Response json(JsonProcessingException e, HttpServerRequest request) {
        return respond(fromJson(e), request);
    }

    /**
     * A field of the wrong type or shape. Mapped on its own because mappers are chosen by the
     * closest exception type, and Quarkus's own one for this type answers with an empty body.
     */
    @ServerExceptionMapper
    public Response mismatch(MismatchedInputException e, HttpServerRequest request) {
        return respond(fromJson(e), request);
    }

    /** Routing and content negotiation: 404, 405, 415, and the body reader's own 400s. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return respond(fromJson(json), request);
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e, request);
        }
        String message = switch (status) {
            case 404 -> "no such endpoint: " + request.method() + " " + request.path();
            case 405 -> request.method() + " is not allowed on " + request.path();
            case 415 -> "the request body must be JSON (Content-Type: application/json), got Content-Type: "
                    + request.getHeader("Content-Type");
            default -> e.getMessage();
        };
        String type = status == 404 ? "not_found_error" : "invalid_request_error";
        return respond(new ApiException(status, type, message, null, null, Map.of()), request);
    }

    /**
     * An expert-parallel peer was lost during the request (not counted here: the request's stream
     * already counted its failure).
     */
    @ServerExceptionMapper
    public Response expertPeer(ExpertPeerUnavailableException e) {
        ApiException api = ApiException.expertPeerUnavailable(e.getMessage());
        Response.ResponseBuilder r = Response.status(503).type(MediaType.APPLICATION_JSON_TYPE).entity(api.body());
        api.headers().forEach(r::header);
        return r.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, HttpServerRequest request) {
        LOG.errorf(e, "%s %s failed", request.method(), request.path());
        return respond(new ApiException(500, "server_error", "internal error: " + e, null, null, Map.of()),
                request);
    }

    private Response respond(ApiException e, HttpServerRequest request) {
        if (isGeneration(request.path())) {
            metrics.requestFailed(failureReason(e.status()));
        }
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body());
        e.headers().forEach(r::header);
        return r.build();
    }

    static ApiException fromJson(JsonProcessingException e) {
        String message = e.getOriginalMessage().lines().findFirst().orElse("");
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String param = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            return ApiException.badRequest(param, "invalid value for '" + param + "': " + message);
        }
        return ApiException.badRequest(null, "the request body is not valid JSON: " + message);
    }

    private static boolean isGeneration(String path) {
        return path.startsWith("/v1/completions") || path.startsWith("/v1/chat/completions");
    }

    static String failureReason(int status) {
        return switch (status) {
            case 401 -> "unauthorized";
            case 429 -> "queue_full";
            default -> status >= 500 ? "error" : "invalid_request";
        };
    }
}
