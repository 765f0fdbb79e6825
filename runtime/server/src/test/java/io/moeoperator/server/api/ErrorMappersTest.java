package io.moeoperator.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.server.generation.GenerationFailedException;
import io.moeoperator.server.metrics.ServingMetrics;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

class ErrorMappersTest {
    /**
     * The regression: a non-streaming request whose engine step threw was counted by its stream and
     * again by the exception mapper. The stream's count is checked in RequestStreamTest.
     */
    @Test
    void aFailedGenerationIsAnsweredWithoutCountingItAgain() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ErrorMappers mappers = new ErrorMappers(new ServingMetrics(registry));
        GenerationFailedException e = GenerationFailedException.engineError(new IllegalStateException("boom"));

        Response r = mappers.generationFailed(e);
        assertEquals(500, r.getStatus());
        ErrorBody body = assertInstanceOf(ErrorBody.class, r.getEntity());
        assertEquals("generation failed: boom", body.error().message());
        assertEquals("server_error", body.error().type());
        assertEquals(0.0, registry.get("moe.request.failure").tag("reason", "error").counter().count());
    }
}
