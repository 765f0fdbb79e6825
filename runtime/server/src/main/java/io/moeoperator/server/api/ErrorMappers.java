package io.moeoperator.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.server.generation.GenerationFailedException;
import io.moeoperator.server.metrics.ServingMetrics;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** A body that is not UTF-8 (see {@link StrictUtf8}). */
    @ServerExceptionMapper
    public Response malformed(StrictUtf8.MalformedBodyException e, HttpServerRequest request) {
        return respond(ApiException.badRequest(null, e.getMessage()), request);
    }

    /** A chunked body that grew past the size limit while it was read (see {@link RequestSizeLimit}). */
    @ServerExceptionMapper
    public Response tooLarge(RequestSizeLimit.BodyTooLargeException e, HttpServerRequest request) {
        return respond(RequestSizeLimit.tooLarge(e.limit), request);
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

    /**
     * Reading the body failed. When the client closed its connection mid-upload nobody is left to
     * answer: that is the client leaving, not a fault of the server (counted as cancelled, logged at
     * DEBUG). A body that stops arriving for {@code quarkus.http.read-timeout} is a 408.
     */
    @ServerExceptionMapper
    public Response bodyNotRead(IOException e, HttpServerRequest request) {
        if (isClientGone(e) || request.response().closed()) {
            LOG.debugf("%s %s: the client left before sending its whole body (%s)", request.method(), request.path(), e);
            if (isGeneration(request.path())) {
                metrics.requestFailed("cancelled");
            }
            return write(ApiException.badRequest(null, "the connection closed before the whole body arrived"));
        }
        if ("Read timed out".equals(e.getMessage())) {
            return respond(new ApiException(408, "invalid_request_error", "the request body stopped arriving"
                    + " (quarkus.http.read-timeout); send the whole body at once", null, "request_timeout", Map.of(
                    "Connection", "close")), request);
        }
        return unexpected(e, request);
    }

    private static boolean isClientGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpClosedException || t instanceof ClosedChannelException) {
                return true;
            }
            for (Throwable s : t.getSuppressed()) {
                if (isClientGone(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The engine failed a non-streaming request after accepting it. Not counted here: the request's
     * stream counted it when it failed (counting it again was a bug: every such request showed up
     * twice in {@code moe_request_failure_total{reason="error"}}).
     */
    @ServerExceptionMapper
    public Response generationFailed(GenerationFailedException e) {
        if (e.answer().status() == 500) {
            LOG.error("generation failed", e.getCause());
        }
        return write(e.answer());
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
        return write(e, request.version() == HttpVersion.HTTP_2);
    }

    private static Response write(ApiException e) {
        return write(e, false);
    }

    private static Response write(ApiException e, boolean http2) {
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body());
        e.headers().forEach((name, value) -> {
            if (!(http2 && name.equalsIgnoreCase("Connection"))) { // connection-specific: a protocol error in HTTP/2
                r.header(name, value);
            }
        });
        return r.build();
    }

    static ApiException fromJson(JsonProcessingException e) {
        String message = e.getOriginalMessage().lines().findFirst().orElse("");
        if (message.startsWith("No content to map due to end-of-input")) {
            return ApiException.badRequest(null, "the request body is empty; send a JSON object");
        }
        if (message.startsWith("Unexpected end-of-input")) {
            return ApiException.badRequest(null, "the request body is not valid JSON: it ends before the JSON value"
                    + " does (truncated?)");
        }
        if (message.startsWith("Trailing token")) {
            return ApiException.badRequest(null, "the request body has more after its JSON object; send exactly one"
                    + " JSON object");
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            // Jackson's own words name Java types; say it in JSON's.
            message = "expected " + jsonType(m.getTargetType()) + ", got " + givenType(message);
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String param = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            return ApiException.badRequest(param, "invalid value for '" + param + "': " + message);
        }
        if (e instanceof MismatchedInputException) {
            return ApiException.badRequest(null, "the request body must be a JSON object: " + message);
        }
        return ApiException.badRequest(null, "the request body is not valid JSON: " + message);
    }

    /** The JSON type of a value, for a type the request named. */
    static String jsonType(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }

    private static final Pattern GIVEN = Pattern.compile(
            "(?:from|coerce) (?:an? )?(Array|Object|String|Integer|Number|Floating-point|Boolean|Null) value( \\(.{0,40}?\\))?");

    /** What the client sent instead, read from Jackson's message ("... from String value ('5')"). */
    static String givenType(String jacksonMessage) {
        Matcher m = GIVEN.matcher(jacksonMessage);
        if (!m.find()) {
            return "a value of another type";
        }
        String what = switch (m.group(1)) {
            case "Array" -> "an array";
            case "Object" -> "an object";
            case "String" -> "a string";
            case "Integer", "Number" -> "a number";
            case "Floating-point" -> "a number with a fraction";
            case "Boolean" -> "a boolean";
            default -> "null";
        };
        return m.group(2) == null || m.group(2).contains("token `") ? what : what + m.group(2);
    }

    static boolean isGeneration(String path) {
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
