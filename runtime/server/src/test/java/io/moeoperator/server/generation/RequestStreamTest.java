package io.moeoperator.server.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.engine.exec.FinishReason;
import io.moeoperator.server.metrics.ServingMetrics;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A request's engine events as its response sees them, and how each ending is counted: once. */
class RequestStreamTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ServingMetrics metrics = new ServingMetrics(registry);

    double failures(String reason) {
        return registry.get("moe.request.failure").tag("reason", reason).counter().count();
    }

    /** Feeds the events to a fresh stream; returns how the response Multi ended (null when it completed). */
    Throwable run(EngineEvent... events) {
        RequestStream stream = new RequestStream(PromptsTest.TOKENIZER, List.of(), 3, System.nanoTime(), metrics);
        Multi<GenerationEvent> response = Multi.createFrom().emitter(out -> {
            out.onTermination(stream::terminated);
            for (EngineEvent e : events) {
                stream.accept(e, out);
            }
        });
        try {
            response.collect().asList().await().atMost(Duration.ofSeconds(5));
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    @Test
    void anEngineErrorIsCountedOnceAndAnsweredWithA500() {
        Throwable e = run(new EngineEvent.Token(5, System.nanoTime()), new EngineEvent.Failed(new IllegalStateException("boom")));
        GenerationFailedException failed = assertInstanceOf(GenerationFailedException.class, e);
        assertEquals(500, failed.answer().status());
        assertEquals("generation failed: boom", failed.answer().getMessage());
        assertEquals(1.0, failures("error"));
        assertEquals(0.0, failures("cancelled"), "the end of the response is not a second failure");
    }

    @Test
    void aShutdownIsCountedOnceAsCancelledAndAnsweredWithA503() {
        Throwable e = run(new EngineEvent.Done(FinishReason.CANCELLED, 3, 0));
        GenerationFailedException failed = assertInstanceOf(GenerationFailedException.class, e);
        assertEquals(503, failed.answer().status());
        assertEquals("shutting_down", failed.answer().body().error().code());
        assertEquals(1.0, failures("cancelled"));
        assertEquals(0.0, failures("error"));
    }

    @Test
    void aFinishedRequestIsNoFailure() {
        assertEquals(null, run(new EngineEvent.Token(5, System.nanoTime()), new EngineEvent.Done(FinishReason.LENGTH, 3, 1)));
        assertEquals(1.0, registry.get("moe.request.success").tag("finish_reason", "length").counter().count());
        assertEquals(0.0, failures("cancelled") + failures("error"));
    }
}
