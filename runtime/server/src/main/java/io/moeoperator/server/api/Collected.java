package io.moeoperator.server.api;

import io.moeoperator.server.generation.GenerationEvent;

/** A whole generation gathered for a non-streaming response. */
final class Collected {
    private final StringBuilder text = new StringBuilder();
    private GenerationEvent.Finished finished;

    void add(GenerationEvent event) {
        switch (event) {
            case GenerationEvent.Text t -> text.append(t.text());
            case GenerationEvent.Finished f -> finished = f;
        }
    }

    String text() {
        return text.toString();
    }

    GenerationEvent.Finished finished() {
        if (finished == null) {
            throw new IllegalStateException("the generation ended without finishing");
        }
        return finished;
    }

    Usage usage() {
        return Usage.of(finished().promptTokens(), finished().completionTokens());
    }
}
