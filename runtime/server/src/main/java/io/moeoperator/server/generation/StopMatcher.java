package io.moeoperator.server.generation;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could still turn out to be the start of a stop
 * string is held back until it is clear, so neither a stop string nor anything after it is ever
 * emitted, however the text is split into pieces. Not thread-safe: one per request.
 */
final class StopMatcher {
    private final List<String> stops;
    private final int longest;
    private String held = "";
    private boolean matched;

    StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
        this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds a piece of text; returns the part that is now safe to emit. Nothing after a match. */
    String push(String piece) {
        if (matched) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        String text = held + piece;
        int stopAt = earliestStop(text);
        if (stopAt >= 0) {
            matched = true;
            held = "";
            return text.substring(0, stopAt);
        }
        int keep = longestStopPrefixSuffix(text);
        held = text.substring(text.length() - keep);
        return text.substring(0, text.length() - keep);
    }

    /** At the end of generation: what was held back, since no stop string completed. */
    String flush() {
        String rest = held;
        held = "";
        return rest;
    }

    boolean matched() {
        return matched;
    }

    private int earliestStop(String text) {
        int best = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** The length of the longest end of {@code text} that some stop string starts with. */
    private int longestStopPrefixSuffix(String text) {
        for (int len = Math.min(longest - 1, text.length()); len > 0; len--) {
            String tail = text.substring(text.length() - len);
            for (String stop : stops) {
                if (stop.startsWith(tail)) {
                    return len;
                }
            }
        }
        return 0;
    }
}
