package io.moeoperator.engine.sched;

import java.util.List;

/**
 * What one engine step computes: plain data for the model runner, which never touches the queues.
 *
 * @param chunks    running sequences' work, decodes first, then prefill chunks
 * @param preempted sequences pushed back to waiting this step (their caches were released)
 */
public record SchedulerOutput(List<ScheduledChunk> chunks, List<SequenceState> preempted) {
    public boolean isEmpty() {
        return chunks.isEmpty();
    }

    public int numTokens() {
        return chunks.stream().mapToInt(ScheduledChunk::numTokens).sum();
    }
}
