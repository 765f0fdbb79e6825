package io.moeoperator.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class LoadgenReportTest {
    @Test
    void nearestRankPercentiles() {
        List<Double> hundred = DoubleStream.iterate(1, v -> v + 1).limit(100).boxed().toList();
        assertArrayEquals(new double[] {50, 95, 99}, LoadgenReport.percentiles(hundred));
        assertArrayEquals(new double[] {7, 7, 7}, LoadgenReport.percentiles(List.of(7.0)));
        assertArrayEquals(new double[] {0, 0, 0}, LoadgenReport.percentiles(List.of()));
    }

    @Test
    void timingsBecomeTtftItlAndThroughput() {
        long s = 1_000_000_000L;
        var ok = new LoadgenCommand.Result(0, List.of(s / 10, s / 10 + s / 50, s / 10 + 2 * s / 50), s / 2, 3, null);
        var failed = new LoadgenCommand.Result(0, List.of(), 1, 0, "HTTP 429: \"busy\"");
        LoadgenReport r = LoadgenReport.of(List.of(ok, failed), 2.0, 2);
        assertEquals(1, r.failed());
        assertEquals(3, r.generatedTokens());
        assertEquals(0.1, r.ttft()[0], 1e-9);
        assertEquals(0.02, r.itl()[0], 1e-9);
        assertEquals(0.5, r.e2e()[0], 1e-9);
        String json = r.toJson();
        assertTrue(json.contains("\"generation_tokens_per_s\":1.50"), json);
        assertTrue(json.contains("\"first_error\":\"HTTP 429: \\\"busy\\\"\""), json);
    }
}
