package io.moeoperator.server.api;

import java.util.Map;

/**
 * A request the server refuses, with everything OpenAI's error body needs. Thrown anywhere in
 * request handling; {@link ErrorMappers} writes it out.
 *
 * @param param   the request field at fault, or null
 * @param code    a machine-readable reason, or null
 * @param headers extra response headers (Retry-After)
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public ApiException(int status, String type, String message, String param, String code, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public static ApiException badRequest(String param, String message) {
        return badRequest(param, null, message);
    }

    public static ApiException badRequest(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", message, param, code, Map.of());
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", message, null, "invalid_api_key", Map.of());
    }

    public static ApiException busy(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", message, null, "queue_full",
                Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
    }

    /** The engine no longer takes requests: the server is shutting down. */
    public static ApiException unavailable(String message) {
        return new ApiException(503, "server_error", message, null, "shutting_down", Map.of());
    }

    /** A rank holding experts the request needed is unreachable: retry once the group is ready again. */
    public static ApiException expertPeerUnavailable(String message) {
        return new ApiException(503, "server_error", message, null, "expert_peer_unavailable", Map.of("Retry-After", "1"));
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public ErrorBody body() {
        return new ErrorBody(new ErrorBody.Detail(getMessage(), type, param, code));
    }
}
