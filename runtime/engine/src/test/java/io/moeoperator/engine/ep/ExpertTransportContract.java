package io.moeoperator.engine.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ExpertTransport} must do; each implementation's test extends this with a way to
 * build a group, kill a rank (as its process dying) and restart it (a fresh process).
 */
public abstract class ExpertTransportContract {

    /** A running group; closing it stops every rank. */
    protected interface Group extends AutoCloseable {
        ExpertTransport transport(int rank);

        /** The rank's process is gone: its connections drop, calls to it fail. */
        void kill(int rank) throws Exception;

        /** A fresh process for the rank, serving with {@code compute}. */
        void restart(int rank, ExpertCompute compute) throws Exception;

        @Override
        void close();
    }

    /** A group whose rank {@code r} serves with {@code computes[r]}, started. */
    protected abstract Group newGroup(ExpertCompute[] computes) throws Exception;

    /** y = x * (rank + 1) + expert: shows which rank and expert computed a row. */
    protected static ExpertCompute marking(int rank, int hidden) {
        return (layer, experts, counts, x) -> {
            float[] y = new float[x.length];
            int row = 0;
            for (int i = 0; i < experts.length; i++) {
                for (int j = 0; j < counts[i]; j++, row++) {
                    for (int h = 0; h < hidden; h++) {
                        y[row * hidden + h] = x[row * hidden + h] * (rank + 1) + experts[i] + layer * 1000;
                    }
                }
            }
            return y;
        };
    }

    static ExpertCompute[] markingGroup(int size, int hidden) {
        ExpertCompute[] c = new ExpertCompute[size];
        for (int r = 0; r < size; r++) {
            c[r] = marking(r, hidden);
        }
        return c;
    }

    protected static void awaitAllUp(Group g, int size) throws InterruptedException {
        await(Duration.ofSeconds(15), () -> {
            for (int r = 0; r < size; r++) {
                if (!g.transport(r).allPeersUp()) {
                    return false;
                }
            }
            return true;
        }, () -> "peers not all up: " + statuses(g, size));
    }

    protected static String statuses(Group g, int size) {
        List<String> s = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            s.add(r + "->" + g.transport(r).peers());
        }
        return String.join("; ", s);
    }

    public static void await(Duration limit, BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + limit + ": " + what.get());
            }
            Thread.sleep(20);
        }
    }

    static ExpertCall call(int layer, int[] experts, int[] counts, int hidden, long seed) {
        int rows = 0;
        for (int c : counts) {
            rows += c;
        }
        float[] x = new float[rows * hidden];
        Random random = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return new ExpertCall(layer, experts, counts, x, hidden);
    }

    static float[] expected(ExpertCall c, int rank) {
        return marking(rank, c.hidden()).compute(c.layer(), c.experts(), c.counts(), c.x());
    }

    @Test
    void callsReachTheRankAndReturnItsRowsInOrderBitExactly() throws Exception {
        int hidden = 64;
        try (Group g = newGroup(markingGroup(3, hidden))) {
            awaitAllUp(g, 3);
            for (int from = 0; from < 3; from++) {
                for (int to = 0; to < 3; to++) {
                    if (from == to) {
                        continue;
                    }
                    ExpertCall c = call(2, new int[] {1, 5, 6}, new int[] {3, 1, 2}, hidden, from * 10 + to);
                    ExpertResult r = g.transport(from).call(to, c).get(10, TimeUnit.SECONDS);
                    assertArrayEquals(expected(c, to), r.y());
                    assertTrue(r.computeNanos() >= 0);
                }
            }
        }
    }

    @Test
    void unusualFloatsAndLargeCallsArriveBitExactly() throws Exception {
        int hidden = 2048;
        try (Group g = newGroup(new ExpertCompute[] {(l, e, c, x) -> x.clone(), (l, e, c, x) -> x.clone()})) {
            awaitAllUp(g, 2);
            ExpertCall c = call(0, new int[] {0, 3}, new int[] {60, 4}, hidden, 7); // 64 rows of 2048: 512 KiB
            float[] x = c.x();
            x[0] = Float.NaN;
            x[1] = -0f;
            x[2] = Float.MIN_VALUE;
            x[3] = Float.NEGATIVE_INFINITY;
            x[4] = Float.intBitsToFloat(0x7fc01234); // a NaN with a payload
            float[] y = g.transport(1).call(0, c).get(10, TimeUnit.SECONDS).y();
            assertEquals(x.length, y.length);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    fail("float " + i + " changed: " + x[i] + " -> " + y[i]);
                }
            }
        }
    }

    /** Every rank calls every other at once while each call takes a while: no deadlock, all answered. */
    @Test
    void ranksCallingEachOtherConcurrentlyAllComplete() throws Exception {
        int size = 3;
        int hidden = 16;
        ExpertCompute[] slow = new ExpertCompute[size];
        for (int r = 0; r < size; r++) {
            ExpertCompute m = marking(r, hidden);
            slow[r] = (l, e, c, x) -> {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                return m.compute(l, e, c, x);
            };
        }
        try (Group g = newGroup(slow)) {
            awaitAllUp(g, size);
            List<CompletableFuture<ExpertResult>> results = new ArrayList<>();
            List<ExpertCall> calls = new ArrayList<>();
            List<Integer> targets = new ArrayList<>();
            for (int round = 0; round < 40; round++) {
                for (int from = 0; from < size; from++) {
                    for (int to = 0; to < size; to++) {
                        if (from != to) {
                            ExpertCall c = call(round % 4, new int[] {round % 8}, new int[] {1 + round % 3}, hidden, round);
                            calls.add(c);
                            targets.add(to);
                            results.add(g.transport(from).call(to, c));
                        }
                    }
                }
            }
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(expected(calls.get(i), targets.get(i)), results.get(i).get(20, TimeUnit.SECONDS).y());
            }
        }
    }

    @Test
    void aKilledRankFailsCallsPromptlyAndServesAgainAfterRestart() throws Exception {
        int hidden = 32;
        try (Group g = newGroup(markingGroup(2, hidden))) {
            awaitAllUp(g, 2);
            g.kill(1);
            await(Duration.ofSeconds(5), () -> !g.transport(0).peers().get(1).up(), () -> "rank 1 still up");
            assertTrue(g.transport(0).peers().get(0).up(), "a rank is always up to itself");
            ExpertCall c = call(1, new int[] {4}, new int[] {2}, hidden, 1);
            long t0 = System.nanoTime();
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> g.transport(0).call(1, c).get(10, TimeUnit.SECONDS));
            assertInstanceOf(ExpertPeerUnavailableException.class, e.getCause());
            assertEquals(1, ((ExpertPeerUnavailableException) e.getCause()).peer());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "a call to a dead rank fails at once");

            g.restart(1, marking(1, hidden));
            awaitAllUp(g, 2);
            assertArrayEquals(expected(c, 1), g.transport(0).call(1, c).get(10, TimeUnit.SECONDS).y());
            ExpertCall back = call(1, new int[] {0}, new int[] {1}, hidden, 2);
            assertArrayEquals(expected(back, 0), g.transport(1).call(0, back).get(10, TimeUnit.SECONDS).y());
        }
    }

    @Test
    void aCallInFlightWhenTheRankDiesFails() throws Exception {
        int hidden = 32;
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        ExpertCompute stuck = (l, e, c, x) -> {
            computing.countDown();
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return x;
        };
        try (Group g = newGroup(new ExpertCompute[] {marking(0, hidden), stuck})) {
            awaitAllUp(g, 2);
            CompletableFuture<ExpertResult> inFlight = g.transport(0).call(1, call(0, new int[] {1}, new int[] {1}, hidden, 3));
            assertTrue(computing.await(10, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            g.kill(1);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> inFlight.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ExpertPeerUnavailableException.class, e.getCause());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "failed only after "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } finally {
            never.countDown();
        }
    }

    @Test
    void aComputeErrorOnTheRankFailsTheCallWithItsMessage() throws Exception {
        ExpertCompute refusing = (l, e, c, x) -> {
            throw new IllegalArgumentException("rank 1 does not hold expert " + e[0] + " of layer " + l);
        };
        try (Group g = newGroup(new ExpertCompute[] {marking(0, 8), refusing})) {
            awaitAllUp(g, 2);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> g.transport(0).call(1, call(3, new int[] {9}, new int[] {1}, 8, 0)).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("rank 1 does not hold expert 9 of layer 3"), e.getCause().toString());
        }
    }
}
