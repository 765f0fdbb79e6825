package io.moeoperator.engine.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.kvcache.KvCacheManager;
import io.moeoperator.engine.model.TestConfigs;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    /** A pool of {@code blocks} blocks of 4 tokens. */
    static KvCacheManager pool(int blocks) {
        return new KvCacheManager(TestConfigs.SMALL, 4, 1536L * blocks);
    }

    /** A sequence whose prompt is its id's first character repeated: different ids share no prefix. */
    static SequenceState seq(KvCacheManager kv, String id, int promptLength) {
        int[] prompt = new int[promptLength];
        java.util.Arrays.fill(prompt, id.charAt(0));
        return new SequenceState(id, prompt, 100, kv.newSequence());
    }

    /** Applies a step's output as the engine would: computed, and a sampled token for completed ones. */
    static void run(SchedulerOutput out) {
        for (ScheduledChunk c : out.chunks()) {
            c.seq().computed(c.numTokens());
            if (c.completes()) {
                c.seq().append(7);
            }
        }
    }

    static String describe(SchedulerOutput out) {
        return out.chunks().stream().map(c -> c.seq().id() + "@" + c.startPos() + "+" + c.numTokens()
                + (c.completes() ? "!" : "")).toList().toString();
    }

    @Test
    void longPromptsArePrefilledInChunksAndDecodesComeFirst() {
        KvCacheManager kv = pool(100);
        Scheduler s = new Scheduler(4, 10);
        SequenceState a = seq(kv, "a", 3);
        SequenceState b = seq(kv, "b", 25);
        s.add(a);
        s.add(b);
        SchedulerOutput first = s.schedule();
        assertEquals("[a@0+3!, b@0+7]", describe(first));
        run(first);
        SchedulerOutput second = s.schedule();
        assertEquals("[a@3+1!, b@7+9]", describe(second), "a decodes first, b gets the rest of the budget");
        run(second);
        assertEquals("[a@4+1!, b@16+9!]", describe(s.schedule()));
    }

    @Test
    void admissionStopsAtMaxNumSeqs() {
        KvCacheManager kv = pool(100);
        Scheduler s = new Scheduler(2, 100);
        for (String id : List.of("a", "b", "c")) {
            s.add(seq(kv, id, 2));
        }
        assertEquals("[a@0+2!, b@0+2!]", describe(s.schedule()));
        assertEquals(1, s.numWaiting());
        assertEquals(2, s.numRunning());
    }

    @Test
    void whenBlocksRunOutTheNewestRunningSequenceIsPreemptedAndRecomputedLater() {
        KvCacheManager kv = pool(4); // 16 tokens
        Scheduler s = new Scheduler(4, 100);
        SequenceState a = seq(kv, "a", 8);
        SequenceState b = seq(kv, "b", 8);
        s.add(a);
        s.add(b);
        SchedulerOutput first = s.schedule();
        assertEquals("[a@0+8!, b@0+8!]", describe(first));
        run(first); // both now hold 8 tokens + 1 pending: the pool (16) is full
        SchedulerOutput second = s.schedule();
        assertEquals(List.of(b), second.preempted());
        assertEquals("[a@8+1!]", describe(second));
        assertEquals(0, b.numComputed(), "b's cache is gone: it will be recomputed");
        assertEquals(9, b.numPending(), "prompt and generated token");
        run(second);
        s.remove(a); // a finishes and frees its blocks
        assertEquals("[b@0+9!]", describe(s.schedule()), "b resumes from scratch, generated token included");
        assertTrue(kv.usage() > 0);
    }

    @Test
    void aSequenceJoinsBehindItsCachedPrefix() {
        KvCacheManager kv = pool(100);
        Scheduler s = new Scheduler(4, 100);
        SequenceState a = seq(kv, "a", 10);
        s.add(a);
        run(s.schedule());
        SequenceState again = seq(kv, "a", 10); // same prompt
        s.add(again);
        assertEquals("[a@10+1!, a@8+2!]", describe(s.schedule()), "two full blocks (8 tokens) come from the cache");
    }
}
