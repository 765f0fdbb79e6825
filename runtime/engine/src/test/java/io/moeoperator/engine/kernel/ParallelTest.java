package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelTest {

    /** Every index exactly once, for ranges smaller and larger than the thread count, many calls in a row. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void coversEachIndexExactlyOnce(int numThreads) {
        try (Parallel parallel = new Parallel(numThreads)) {
            for (int n : new int[] {0, 1, 2, 3, 5, 7, 8, 9, 31, 100, 1000, 4097}) {
                for (int repeat = 0; repeat < 50; repeat++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    parallel.forRange(n, (from, to) -> {
                        assertTrue(0 <= from && from < to && to <= n, from + ".." + to + " of " + n);
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "index " + i + " of " + n + " with " + numThreads + " threads");
                    }
                }
            }
        }
    }

    @Test
    void spreadsWorkOverSeveralThreads() {
        try (Parallel parallel = new Parallel(2)) {
            ConcurrentHashMap<Thread, Boolean> seen = new ConcurrentHashMap<>();
            for (int repeat = 0; repeat < 1000 && seen.size() < 2; repeat++) {
                parallel.forRange(64, (from, to) -> {
                    seen.put(Thread.currentThread(), true);
                    busyWait(20_000);
                });
            }
            assertEquals(2, seen.size(), "threads that ran chunks");
        }
    }

    @Test
    void exceptionInAChunkReachesTheCallerAndThePoolStaysUsable() {
        try (Parallel parallel = new Parallel(3)) {
            IllegalStateException boom = new IllegalStateException("boom");
            for (int repeat = 0; repeat < 20; repeat++) {
                int failAt = repeat * 7 % 100;
                IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> parallel.forRange(100, (from, to) -> {
                    if (from <= failAt && failAt < to) {
                        throw boom;
                    }
                }));
                assertSame(boom, thrown);
                AtomicIntegerArray hits = new AtomicIntegerArray(100);
                parallel.forRange(100, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < 100; i++) {
                    assertEquals(1, hits.get(i));
                }
            }
        }
    }

    @Test
    void nestedCallRunsInlineInsteadOfDeadlocking() {
        try (Parallel parallel = new Parallel(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(8 * 8);
            parallel.forRange(8, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i;
                    parallel.forRange(8, (f, t) -> {
                        for (int j = f; j < t; j++) {
                            hits.incrementAndGet(row * 8 + j);
                        }
                    });
                }
            });
            for (int i = 0; i < 64; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void concurrentCallersBothComplete() throws InterruptedException {
        try (Parallel parallel = new Parallel(2)) {
            int n = 10_000;
            AtomicIntegerArray hits = new AtomicIntegerArray(2 * n);
            CountDownLatch start = new CountDownLatch(1);
            Thread[] callers = new Thread[2];
            for (int c = 0; c < 2; c++) {
                int base = c * n;
                callers[c] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int repeat = 0; repeat < 200; repeat++) {
                        parallel.forRange(n, (from, to) -> {
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(base + i);
                            }
                        });
                    }
                });
                callers[c].start();
            }
            start.countDown();
            for (Thread t : callers) {
                t.join();
            }
            for (int i = 0; i < 2 * n; i++) {
                assertEquals(200, hits.get(i), "index " + i);
            }
        }
    }

    @Test
    void closedPoolRejectsWork() {
        Parallel parallel = new Parallel(2);
        parallel.close();
        assertThrows(IllegalStateException.class, () -> parallel.forRange(10, (from, to) -> {}));
        parallel.close(); // idempotent
    }

    @Test
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }

    private static void busyWait(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
