package io.moeoperator.autoscaler;

import static io.moeoperator.autoscaler.MetricReading.Aggregation.PER_GROUP;
import static io.moeoperator.autoscaler.MetricReading.Aggregation.TOTAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AutoscalerTest {
    static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    static ScalingPolicy policy(int min, int max, int maxStep, double tolerance, int upSeconds, int downSeconds) {
        return new ScalingPolicy(min, max, maxStep, tolerance, Duration.ofSeconds(upSeconds), Duration.ofSeconds(downSeconds));
    }

    static MetricReading waiting(double total, double target) {
        return new MetricReading("RequestsWaiting", TOTAL, total, target);
    }

    /**
     * Replays a recorded series: each row is {seconds since start, value of one TOTAL metric};
     * applies every decision (as the operator does) and returns the replica count after each row.
     */
    static List<Integer> replay(ScalingPolicy policy, double target, int start, double[][] series) {
        Autoscaler autoscaler = new Autoscaler(policy);
        autoscaler.seed(T0, start);
        int current = start;
        List<Integer> out = new ArrayList<>();
        for (double[] row : series) {
            ScalingDecision d = autoscaler.decide(T0.plusSeconds((long) row[0]), current, List.of(waiting(row[1], target)));
            current = d.desired();
            out.add(current);
        }
        return out;
    }

    @Test
    void desiredIsCeilOfCurrentTimesRatio() {
        Autoscaler a = new Autoscaler(policy(1, 100, 0, 0.1, 0, 0));
        assertEquals(3, a.recommend(1, waiting(6, 2)));          // 6 waiting, 2 per group wanted
        assertEquals(4, a.recommend(2, waiting(7, 2)));          // 3.5 per group -> ceil(2 * 1.75)
        assertEquals(2, a.recommend(3, waiting(4, 2)));          // exactly 2 groups' worth
        assertEquals(1, a.recommend(4, waiting(0.5, 2)));
        assertEquals(0, a.recommend(4, waiting(0, 2)));          // nothing: bounds lift it to min later
        assertEquals(3, a.recommend(2, new MetricReading("KvCacheUsage", PER_GROUP, 0.9, 0.6)));
    }

    @Test
    void withinToleranceNothingChanges() {
        Autoscaler a = new Autoscaler(policy(1, 100, 0, 0.1, 0, 0));
        assertEquals(10, a.recommend(10, waiting(21.8, 2)));    // 1.09x
        assertEquals(10, a.recommend(10, waiting(18.2, 2)));    // 0.91x
        assertEquals(12, a.recommend(10, waiting(22.4, 2)));    // 1.12x -> ceil(11.2)
        Autoscaler strict = new Autoscaler(policy(1, 100, 0, 0, 0, 0));
        assertEquals(11, strict.recommend(10, waiting(20.2, 2)));
    }

    @Test
    void theHighestMetricWins() {
        Autoscaler a = new Autoscaler(policy(1, 10, 0, 0.1, 0, 0));
        ScalingDecision d = a.decide(T0, 2, List.of(waiting(2, 2), new MetricReading("KvCacheUsage", PER_GROUP, 0.95, 0.5),
                new MetricReading("TimeToFirstTokenP95", PER_GROUP, 0.1, 0.5)));
        assertEquals(List.of(1, 4, 1), d.metrics().stream().map(ScalingDecision.MetricRecommendation::replicas).toList());
        assertEquals(4, d.desired());
        assertTrue(d.reason().startsWith("KvCacheUsage 0.950 per group is above its target 0.500"), d.reason());
    }

    @Test
    void boundsAndSteps() {
        Autoscaler a = new Autoscaler(policy(2, 5, 2, 0.1, 0, 0));
        ScalingDecision up = a.decide(T0, 2, List.of(waiting(40, 2)));
        assertEquals(20, up.recommended());
        assertEquals(4, up.desired());
        assertTrue(up.reason().contains("limited to a step of 2"), up.reason());
        assertEquals(5, a.decide(T0.plusSeconds(1), 4, List.of(waiting(40, 2))).desired());
        ScalingDecision capped = a.decide(T0.plusSeconds(2), 5, List.of(waiting(40, 2)));
        assertEquals(5, capped.desired());
        assertTrue(capped.reason().contains("capped at maxReplicas 5"), capped.reason());
        ScalingDecision floor = new Autoscaler(policy(2, 5, 0, 0.1, 0, 0)).decide(T0, 3, List.of(waiting(0, 2)));
        assertEquals(2, floor.desired());
        assertTrue(floor.reason().contains("raised to minReplicas 2"));
        // A deployment scaled by hand above max comes back within bounds at once.
        assertEquals(5, new Autoscaler(policy(1, 5, 1, 0.1, 0, 0)).decide(T0, 9, List.of(waiting(90, 2))).desired());
    }

    @Test
    void scaleDownWaitsForTheWholeWindow() {
        // Load for a minute, then silence; recommendations every 15 s, down window 60 s.
        List<Integer> replicas = replay(policy(1, 10, 0, 0.1, 0, 60), 2, 1, new double[][] {
                {0, 8}, {15, 8}, {30, 8}, {45, 0}, {60, 0}, {75, 0}, {90, 0}, {105, 0}, {120, 0}});
        assertEquals(List.of(4, 4, 4, 4, 4, 4, 4, 1, 1), replicas);
    }

    @Test
    void aBriefDipDoesNotScaleDown() {
        List<Integer> replicas = replay(policy(1, 10, 0, 0.1, 0, 60), 2, 4, new double[][] {
                {0, 8}, {15, 1}, {30, 8}, {45, 1}, {60, 8}});
        assertEquals(List.of(4, 4, 4, 4, 4), replicas);
    }

    @Test
    void scaleUpWindowIgnoresOneSpike() {
        List<Integer> replicas = replay(policy(1, 10, 0, 0.1, 30, 0), 2, 1, new double[][] {
                {0, 2}, {15, 20}, {30, 2}, {45, 8}, {60, 8}, {75, 8}});
        // The spike at 15 s never outlasts the 30 s window; the sustained 8 does.
        assertEquals(List.of(1, 1, 1, 1, 1, 4), replicas);
    }

    @Test
    void aFreshAutoscalerDoesNotScaleDownBeforeAWindowPassed() {
        Autoscaler a = new Autoscaler(policy(1, 10, 0, 0.1, 0, 300));
        a.seed(T0, 4); // the count found when the operator (re)started
        assertEquals(4, a.decide(T0.plusSeconds(10), 4, List.of(waiting(0, 2))).desired());
        assertEquals(1, a.decide(T0.plusSeconds(301), 4, List.of(waiting(0, 2))).desired());
    }

    @Test
    void fromZeroGroupsTotalsStillRecommend() {
        Autoscaler a = new Autoscaler(policy(1, 10, 0, 0.1, 0, 0));
        assertEquals(3, a.decide(T0, 0, List.of(waiting(5, 2))).desired());
        assertEquals(1, a.decide(T0, 0, List.of(new MetricReading("KvCacheUsage", PER_GROUP, 0, 0.5))).desired());
    }

    @Test
    void readingsAndPoliciesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> waiting(Double.NaN, 2));
        assertThrows(IllegalArgumentException.class, () -> waiting(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> waiting(1, 0));
        assertThrows(IllegalArgumentException.class, () -> policy(0, 3, 0, 0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> policy(3, 2, 0, 0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> policy(1, 2, 0, 1.0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Autoscaler(policy(1, 2, 0, 0.1, 0, 0)).decide(T0, 1, List.of()));
    }

    /** Random series against the invariants every decision must keep. */
    @Test
    void invariantsHoldOnRandomSeries() {
        Random random = new Random(7);
        for (int run = 0; run < 500; run++) {
            int min = 1 + random.nextInt(3), max = min + random.nextInt(8), step = random.nextInt(4);
            int down = random.nextInt(5) * 15, up = random.nextInt(3) * 15;
            ScalingPolicy policy = policy(min, max, step, 0.1, up, down);
            Autoscaler a = new Autoscaler(policy);
            int current = min + random.nextInt(max - min + 1);
            List<int[]> recommendations = new ArrayList<>(); // {second, recommended}
            for (int i = 0; i < 40; i++) {
                int second = i * 15;
                double value = random.nextInt(4) == 0 ? 0 : random.nextDouble() * 30;
                ScalingDecision d = a.decide(T0.plusSeconds(second), current, List.of(waiting(value, 2)));
                recommendations.add(new int[] {second, d.recommended()});
                int desired = d.desired();
                assertTrue(desired >= min && desired <= max, "bounds: " + d);
                if (step > 0) assertTrue(Math.abs(desired - current) <= step, "step: " + d);
                if (desired < current) {
                    int highest = recommendations.stream().filter(r -> r[0] >= second - down).mapToInt(r -> r[1]).max().orElseThrow();
                    assertTrue(desired >= Math.min(current, Math.max(highest, min)), "down window: " + d);
                }
                if (desired > current && desired > min) {
                    assertTrue(desired <= d.recommended(), "never above the recommendation: " + d);
                }
                current = desired;
            }
        }
    }
}
