package io.moeoperator.engine.sched;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Continuous batching. Each step: every running sequence gets its pending tokens (a decode is one
 * token; a prefill is cut into chunks) within {@code maxNumBatchedTokens}, oldest first; then waiting
 * sequences join while there is room in the token budget, in {@code maxNumSeqs} and in the KV pool.
 * When the pool runs dry the newest running sequence is preempted: its cache is released and it
 * goes back to the front of the queue to be recomputed later. A joining sequence first takes over
 * cached blocks that hold its leading tokens (prefix caching). Used by the engine's step thread only.
 */
public final class Scheduler {
    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    private final Deque<SequenceState> waiting = new ArrayDeque<>();
    private final List<SequenceState> running = new ArrayList<>();

    public Scheduler(int maxNumSeqs, int maxNumBatchedTokens) {
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
    }

    public void add(SequenceState seq) {
        waiting.addLast(seq);
    }

    public int numWaiting() {
        return waiting.size();
    }

    public int numRunning() {
        return running.size();
    }

    /** Removes a finished or cancelled sequence and releases its cache. */
    public void remove(SequenceState seq) {
        if (!running.remove(seq)) {
            waiting.remove(seq);
        }
        seq.cache().release();
    }

    public SchedulerOutput schedule() {
        List<ScheduledChunk> chunks = new ArrayList<>();
        List<SequenceState> preempted = new ArrayList<>();
        int budget = maxNumBatchedTokens;

        // Running sequences first, oldest first; a decode needs one token of the budget.
        for (int i = 0; i < running.size() && budget > 0; i++) {
            SequenceState seq = running.get(i);
            int n = Math.min(seq.numPending(), budget);
            while (!seq.cache().reserve(seq.numComputed() + n)) {
                SequenceState victim = running.getLast();
                running.removeLast();
                victim.forgetCache();
                waiting.addFirst(victim);
                preempted.add(victim);
                if (victim == seq) {
                    n = 0;
                    break;
                }
            }
            if (n == 0) {
                break;
            }
            chunks.add(new ScheduledChunk(seq, seq.numComputed(), n, n == seq.numPending()));
            budget -= n;
        }

        // Then admit waiting sequences (preempted ones first) while everything has room.
        while (budget > 0 && running.size() < maxNumSeqs && !waiting.isEmpty() && preempted.isEmpty()) {
            SequenceState seq = waiting.peekFirst();
            seq.reuseCachedPrefix();
            int n = Math.min(seq.numPending(), budget);
            if (!seq.cache().reserve(seq.numComputed() + n)) {
                seq.forgetCache(); // hold nothing while waiting
                break;
            }
            waiting.removeFirst();
            running.add(seq);
            chunks.add(new ScheduledChunk(seq, seq.numComputed(), n, n == seq.numPending()));
            budget -= n;
        }
        return new SchedulerOutput(List.copyOf(chunks), List.copyOf(preempted));
    }
}
