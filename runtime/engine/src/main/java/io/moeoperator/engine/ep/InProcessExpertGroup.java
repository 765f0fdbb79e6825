package io.moeoperator.engine.ep;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every rank of a group in one JVM, for tests: a call runs on the callee's own serving threads (as
 * over the network, never on the caller's), so the engine's concurrency is exercised as it is in
 * production. A rank can be marked {@link State#DOWN} (calls fail at once, as when its process is
 * gone) or {@link State#HUNG} (calls never answer, as when it is frozen) to test faults.
 */
public final class InProcessExpertGroup implements AutoCloseable {

    public enum State { UP, DOWN, HUNG }

    private final Rank[] ranks;

    public InProcessExpertGroup(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a group needs at least one rank, got " + size);
        }
        ranks = new Rank[size];
        for (int r = 0; r < size; r++) {
            ranks[r] = new Rank(r);
        }
    }

    public ExpertTransport transport(int rank) {
        return ranks[rank];
    }

    /** DOWN also fails the calls the rank is computing, as a process that dies drops its connections. */
    public void setState(int rank, State state) {
        Rank r = ranks[rank];
        r.state = state;
        if (state == State.DOWN) {
            for (CompletableFuture<ExpertResult> f : r.inFlight) {
                f.completeExceptionally(new ExpertPeerUnavailableException(rank,
                        "expert rank " + rank + " (in-process) went down during the call"));
            }
        }
    }

    /** Calls rank {@code rank} has served. */
    public int numServed(int rank) {
        return ranks[rank].served.get();
    }

    @Override
    public void close() {
        for (Rank r : ranks) {
            r.close();
        }
    }

    private final class Rank implements ExpertTransport {
        private final int rank;
        private final AtomicInteger served = new AtomicInteger();
        private final Set<CompletableFuture<ExpertResult>> inFlight = ConcurrentHashMap.newKeySet();
        private volatile ExpertCompute local;
        private volatile State state = State.UP;
        private final ExecutorService serving;

        Rank(int rank) {
            this.rank = rank;
            AtomicInteger n = new AtomicInteger();
            this.serving = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "in-process-expert-rank-" + rank + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return ranks.length;
        }

        @Override
        public void start(ExpertCompute local) {
            if (this.local != null) {
                throw new IllegalStateException("rank " + rank + " is already started");
            }
            this.local = local;
        }

        @Override
        public CompletableFuture<ExpertResult> call(int peer, ExpertCall call) {
            if (peer == rank || peer < 0 || peer >= ranks.length) {
                throw new IllegalArgumentException("rank " + rank + " cannot call rank " + peer);
            }
            Rank callee = ranks[peer];
            ExpertCompute compute = callee.local;
            if (callee.state == State.DOWN || compute == null) {
                return CompletableFuture.failedFuture(new ExpertPeerUnavailableException(peer,
                        "expert rank " + peer + " (in-process) is " + (compute == null ? "not started" : "down")));
            }
            if (callee.state == State.HUNG) {
                return new CompletableFuture<>(); // never answers: the caller's deadline must catch it
            }
            CompletableFuture<ExpertResult> result = new CompletableFuture<>();
            callee.inFlight.add(result);
            result.whenComplete((r, e) -> callee.inFlight.remove(result));
            try {
                callee.serving.execute(() -> {
                    try {
                        long t0 = System.nanoTime();
                        float[] y = compute.compute(call.layer(), call.experts(), call.counts(), call.x());
                        callee.served.incrementAndGet();
                        result.complete(new ExpertResult(y, System.nanoTime() - t0));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException closed) {
                result.completeExceptionally(new ExpertPeerUnavailableException(peer, "expert rank " + peer
                        + " (in-process) is closed"));
            }
            return result;
        }

        @Override
        public List<PeerStatus> peers() {
            List<PeerStatus> out = new ArrayList<>();
            for (Rank r : ranks) {
                boolean up = r == this || (r.state == State.UP && r.local != null);
                out.add(new PeerStatus(r.rank, "in-process", up, up ? "connected" : r.state.name().toLowerCase()));
            }
            return out;
        }

        @Override
        public void close() {
            serving.shutdownNow();
        }
    }
}
