package io.moeoperator.server.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    /** Feeds pieces, returns what was emitted (plus the flushed rest if no stop matched). */
    private static String run(List<String> stops, String... pieces) {
        StopMatcher m = new StopMatcher(stops);
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(m.push(p));
        }
        if (!m.matched()) {
            out.append(m.flush());
        }
        return out.toString();
    }

    @Test
    void withoutStopsEverythingPassesAtOnce() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals("abc", m.push("abc"));
        assertEquals("", m.flush());
    }

    @Test
    void stopInsideOnePieceCutsBeforeIt() {
        assertEquals("Hello ", run(List.of("world"), "Hello world and more"));
    }

    @Test
    void stopSplitAcrossPiecesIsNeverEmitted() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("abc", m.push("abcE"));
        assertEquals("", m.push("N"));
        assertEquals("", m.push("Dtail"));
        assertTrue(m.matched());
        assertEquals("", m.push("more"));
    }

    @Test
    void heldTextIsReleasedWhenTheStopDoesNotComplete() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("ab", m.push("abEN"));
        assertEquals("ENx", m.push("x"));
        assertFalse(m.matched());
        assertEquals("", m.flush());
        assertEquals("abE", run(List.of("END"), "ab", "E"));
    }

    @Test
    void earliestOfSeveralStopsWins() {
        assertEquals("one ", run(List.of("three", "two"), "one two three"));
        assertEquals("x", run(List.of("yz", "y"), "x", "yz"));
    }

    @Test
    void everySplitOfTheTextGivesTheSameResult() {
        String text = "The cat sat on the mat. The end.";
        List<String> stops = List.of("on the", "end");
        for (int cut = 0; cut <= text.length(); cut++) {
            assertEquals("The cat sat ", run(stops, text.substring(0, cut), text.substring(cut)), "cut at " + cut);
        }
    }
}
