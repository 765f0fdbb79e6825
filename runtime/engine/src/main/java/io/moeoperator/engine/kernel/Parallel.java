package io.moeoperator.engine.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of daemon worker threads that split index ranges between them and the calling thread.
 *
 * <p>Decode calls {@link #forRange} thousands of times a second with ranges of a few hundred rows, so
 * a call allocates nothing and takes no lock: the caller publishes the task with one volatile write,
 * workers that are still spinning from the previous call pick it up within a microsecond, and chunks
 * are claimed from an atomic counter. Claiming (rather than a fixed chunk per thread) matters on a
 * shared machine: when the OS deschedules a worker, the caller and the other workers take its chunks
 * instead of waiting a whole time slice for it.
 *
 * <p>One range runs at a time. A call made while another is running (from a task, or from a second
 * thread) runs its whole range on its own thread rather than blocking.
 */
public final class Parallel implements AutoCloseable {

    /** Work on the indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /** Chunks per thread: enough to rebalance around a descheduled thread, few enough to claim cheaply. */
    private static final int CHUNKS_PER_THREAD = 4;
    /**
     * How long an idle worker spins before parking. Matmuls in a decode step follow each other within
     * tens of microseconds; waking a parked thread costs about as much, so spin through such gaps.
     */
    private static final long SPIN_NANOS = 50_000;
    /** The generation bits kept in {@link #claim}; they wrap after 2^32 calls, which is harmless. */
    private static final long GEN_MASK = 0xffff_ffffL;

    private final Worker[] workers;
    private final int numThreads;
    private final AtomicBoolean busy = new AtomicBoolean();

    // The current call. Written by the caller before the volatile write of generation, which publishes them.
    private RangeTask task;
    private int rangeEnd;
    private int numChunks;
    private Thread caller;
    /** (generation << 32) | next unclaimed chunk: a claim can only succeed for the call it was read for. */
    private final AtomicLong claim = new AtomicLong();
    /** Chunks of the current call not yet finished. */
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile boolean callerParked;
    private volatile boolean closed;

    /** Uses all available processors (the caller counts as one). */
    public Parallel() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** {@code numThreads} threads in all: the caller and {@code numThreads - 1} workers. */
    public Parallel(int numThreads) {
        if (numThreads < 1) {
            throw new IllegalArgumentException("numThreads must be at least 1, got " + numThreads);
        }
        this.numThreads = numThreads;
        this.workers = new Worker[numThreads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    public int numThreads() {
        return numThreads;
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into contiguous chunks, on the workers and the calling
     * thread, and returns when every chunk has run. The first exception thrown by a chunk is rethrown
     * here (the remaining chunks are skipped).
     */
    public void forRange(int n, RangeTask task) {
        if (closed) {
            throw new IllegalStateException("Parallel pool is closed");
        }
        if (n <= 0) {
            return;
        }
        int chunks = Math.min(n, numThreads * CHUNKS_PER_THREAD);
        if (workers.length == 0 || chunks == 1 || !busy.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            long gen = generation + 1;
            claim.set((gen & GEN_MASK) << 32);
            this.task = task;
            this.rangeEnd = n;
            this.numChunks = chunks;
            this.caller = Thread.currentThread();
            failure.set(null);
            pending.set(chunks);
            generation = gen; // publishes the fields above
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            runChunks(gen, task, n, chunks);
            awaitChunks();
            this.task = null; // do not keep the caller's arrays reachable between calls
            Throwable t = failure.get();
            if (t != null) {
                failure.set(null);
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(t); // unreachable: a RangeTask cannot throw checked exceptions
            }
        } finally {
            busy.set(false);
        }
    }

    /** Claims and runs chunks of call {@code gen} until none are left (or the call has moved on). */
    private void runChunks(long gen, RangeTask t, int n, int chunks) {
        while (true) {
            long c = claim.get();
            int idx = (int) c;
            if (c >>> 32 != (gen & GEN_MASK) || idx >= chunks) {
                return;
            }
            if (!claim.compareAndSet(c, c + 1)) {
                continue;
            }
            try {
                if (failure.get() == null) {
                    t.run((int) ((long) idx * n / chunks), (int) ((long) (idx + 1) * n / chunks));
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                if (pending.decrementAndGet() == 0 && callerParked) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    /** The caller's wait: other threads hold at most one chunk each, so this spins briefly, then parks. */
    private void awaitChunks() {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (pending.get() != 0) {
            if (System.nanoTime() < deadline) {
                Thread.onSpinWait();
            } else {
                callerParked = true;
                if (pending.get() != 0) {
                    LockSupport.park(this);
                }
                callerParked = false;
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        generation = generation + 1;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
        for (Worker w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("moe-kernel-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            // Not the current generation: a worker can start after the first call or even after close().
            long seen = 0;
            while (true) {
                long gen = awaitNewGeneration(seen);
                if (closed) {
                    return;
                }
                seen = gen;
                // Read after the volatile generation: these belong to call gen or a later one, and a
                // later one's claim counter rejects us, so we never run one call's chunk with another's task.
                runChunks(gen, task, rangeEnd, numChunks);
            }
        }

        private long awaitNewGeneration(long seen) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            long gen;
            while ((gen = generation) == seen && !closed) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    parked = true; // volatile write, then volatile read: the caller sees one or we see it
                    if (generation == seen && !closed) {
                        LockSupport.park(Parallel.this);
                    }
                    parked = false;
                }
            }
            return gen;
        }
    }
}
