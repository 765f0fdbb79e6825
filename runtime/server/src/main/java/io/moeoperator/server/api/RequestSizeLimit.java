package io.moeoperator.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.server.metrics.ServingMetrics;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A body longer than {@code quarkus.http.limits.max-body-size} is refused with 413 and OpenAI's
 * error body. Quarkus enforces that limit itself, but answers with an empty body, so this class
 * takes the job over: a Content-Length over the limit is refused by a route that runs just before
 * Quarkus's own (order -2); a chunked body, whose length is known only once it is read, is counted
 * as it is read, and {@link ErrorMappers} writes the 413 when it passes the limit. Quarkus's counter
 * for chunked bodies (the routing-context entry {@value #QUARKUS_LIMIT_KEY}, which it would answer
 * with an empty 413) is removed for that.
 */
@ApplicationScoped
@Provider
public class RequestSizeLimit implements ReaderInterceptor {
    /** Where Quarkus (HttpServerCommonHandlers, read by resteasy-reactive's VertxInputStream) keeps its limit. */
    static final String QUARKUS_LIMIT_KEY = "io.quarkus.max-request-size";

    private final long limit;
    private final ServingMetrics metrics;
    private final byte[] tooLargeBody;

    RequestSizeLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit,
                     ServingMetrics metrics, ObjectMapper json) {
        this.limit = limit.asLongValue();
        this.metrics = metrics;
        try {
            this.tooLargeBody = json.writeValueAsBytes(tooLarge(this.limit).body());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 413 with OpenAI's error body; sent with Connection: close, since the rest of the body is not read. */
    static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", "the request body is larger than this server's limit"
                + " of " + limit + " bytes (quarkus.http.limits.max-body-size); shorten the prompt or messages",
                null, "request_too_large", Map.of("Connection", "close"));
    }

    void install(@Observes Router router) {
        router.route().order(-3).handler(this::refuseDeclaredTooLarge);
        router.route().order(-1).handler(ctx -> {
            ctx.remove(QUARKUS_LIMIT_KEY); // counted by aroundReadFrom instead
            ctx.next();
        });
    }

    private void refuseDeclaredTooLarge(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null || !isOver(length)) {
            ctx.next();
            return;
        }
        if (ErrorMappers.isGeneration(ctx.request().path())) {
            metrics.requestFailed(ErrorMappers.failureReason(413));
        }
        ctx.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (ctx.request().version() != HttpVersion.HTTP_2) { // HTTP/2 forbids connection-specific headers
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        ctx.response().end(Buffer.buffer(tooLargeBody));
    }

    private boolean isOver(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > limit;
        } catch (NumberFormatException e) {
            return false; // Vert.x refuses a malformed Content-Length itself
        }
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        context.setInputStream(new Counted(context.getInputStream(), limit));
        return context.proceed();
    }

    /** Thrown while reading a body that has passed the limit; an IOException, so JSON parsers pass it on as it is. */
    static final class BodyTooLargeException extends IOException {
        final long limit;

        BodyTooLargeException(long limit) {
            super("the request body is larger than " + limit + " bytes");
            this.limit = limit;
        }
    }

    private static final class Counted extends FilterInputStream {
        private final long limit;
        private long count;

        Counted(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private void add(int n) throws IOException {
            count += n;
            if (count > limit) {
                throw new BodyTooLargeException(limit);
            }
        }
    }
}
