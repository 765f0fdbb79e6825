package io.moeoperator.engine.exec;

import io.moeoperator.engine.kvcache.KvCacheManager;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.ForwardBatch;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.sample.Sampler;
import io.moeoperator.engine.sched.ScheduledChunk;
import io.moeoperator.engine.sched.Scheduler;
import io.moeoperator.engine.sched.SchedulerOutput;
import io.moeoperator.engine.sched.SequenceState;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Continuous batching over a paged latent KV cache. Requests arrive from any thread into a queue;
 * one step thread owns the scheduler, the cache and the model: each step it schedules (plain data),
 * runs one forward pass over every scheduled token, samples and reports tokens to listeners.
 */
final class BatchingEngine implements Engine {
    private static final System.Logger LOG = System.getLogger(BatchingEngine.class.getName());

    private final LoadedModel loaded;
    private final DeepSeek2Model model;
    private final BpeTokenizer tokenizer;
    private final EngineConfig config;
    private final KvCacheManager kv;
    private final Scheduler scheduler;
    private final ConcurrentLinkedQueue<Active> submitted = new ConcurrentLinkedQueue<>();
    private final Map<SequenceState, Active> active = new HashMap<>(); // step thread only
    private final Object wakeUp = new Object();
    private final Thread stepThread;
    private volatile boolean closed;
    private volatile int numRunning;
    private volatile int numSchedulerWaiting;
    private volatile double kvUsage;
    private volatile long prefixHitTokens;
    private int nextId;

    /** A request in flight: its scheduler state, its listener and sampler. */
    private static final class Active implements RequestHandle {
        final SequenceState seq;
        final GenerationListener listener;
        final Sampler sampler;
        final Runnable wake;
        volatile boolean cancelled;

        Active(SequenceState seq, GenerationListener listener, Sampler sampler, Runnable wake) {
            this.seq = seq;
            this.listener = listener;
            this.sampler = sampler;
            this.wake = wake;
        }

        @Override
        public void cancel() {
            cancelled = true;
            wake.run();
        }
    }

    BatchingEngine(LoadedModel loaded, EngineConfig config) {
        this.loaded = loaded;
        this.model = loaded.model();
        this.tokenizer = loaded.tokenizer();
        this.config = config;
        this.kv = new KvCacheManager(model.config(), config.blockSize(), config.kvCacheBytes());
        this.scheduler = new Scheduler(config.maxNumSeqs(), config.maxNumBatchedTokens());
        this.stepThread = new Thread(this::run, "moe-engine-step");
        this.stepThread.setDaemon(true);
        this.stepThread.start();
        LOG.log(System.Logger.Level.INFO, "engine started: {0} KV blocks of {1} tokens ({2} tokens), "
                + "max {3} sequences, {4} tokens per step", kv.numBlocks(), kv.blockSize(),
                (long) kv.numBlocks() * kv.blockSize(), config.maxNumSeqs(), config.maxNumBatchedTokens());
    }

    @Override
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        if (closed) {
            throw new IllegalStateException("the engine is shut down");
        }
        int prompt = request.promptTokens().length;
        int context = model.config().contextLength();
        if ((long) prompt + request.maxTokens() > context) {
            throw new IllegalArgumentException("the prompt has " + prompt + " tokens and max_tokens is "
                    + request.maxTokens() + ": together they exceed the model's context length of " + context);
        }
        if (kv.blocksFor(prompt + request.maxTokens()) > kv.numBlocks()) {
            throw new IllegalArgumentException("the prompt (" + prompt + " tokens) plus max_tokens ("
                    + request.maxTokens() + ") does not fit the KV cache of " + (long) kv.numBlocks() * kv.blockSize()
                    + " tokens");
        }
        for (int id : request.promptTokens()) {
            if (id < 0 || id >= model.config().vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.."
                        + (model.config().vocabSize() - 1) + ")");
            }
        }
        if (numWaiting() >= config.maxWaiting()) {
            throw new EngineFullException(config.maxWaiting());
        }
        SequenceState seq = new SequenceState(request.id(), request.promptTokens(), request.maxTokens(), kv.newSequence());
        Active a = new Active(seq, listener, new Sampler(request.sampling()), this::wake);
        submitted.add(a);
        wake();
        return a;
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(numWaiting(), numRunning, kvUsage, model.expertLoad().snapshot(), prefixHitTokens);
    }

    /** Submitted but not yet running (a snapshot: the step thread moves requests along meanwhile). */
    private int numWaiting() {
        return submitted.size() + numSchedulerWaiting;
    }

    @Override
    public boolean isAlive() {
        return !closed && stepThread.isAlive();
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    private void wake() {
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
    }

    private void run() {
        while (!closed) {
            try {
                if (!step()) {
                    synchronized (wakeUp) {
                        if (submitted.isEmpty() && !closed) {
                            wakeUp.wait(100);
                        }
                    }
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "engine step failed; failing its requests", e);
                failAll(e instanceof RuntimeException re ? re : new IllegalStateException(e));
            }
        }
        failAll(new IllegalStateException("the engine is shut down"));
    }

    /** One scheduling step; false when there was nothing to compute. */
    private boolean step() {
        for (Active a; (a = submitted.poll()) != null; ) {
            active.put(a.seq, a);
            scheduler.add(a.seq);
        }
        for (Active a : List.copyOf(active.values())) {
            if (a.cancelled) {
                finish(a, FinishReason.CANCELLED);
            }
        }
        SchedulerOutput out = scheduler.schedule();
        publishStats();
        if (out.isEmpty()) {
            return false;
        }
        float[] logits;
        try {
            logits = model.forward(toBatch(out));
        } catch (RuntimeException e) {
            for (ScheduledChunk c : out.chunks()) {
                fail(active.get(c.seq()), e);
            }
            return true;
        }
        int vocab = model.config().vocabSize();
        int tokens = tokenizer.vocabSize(); // sampled from, as in Generator#tokenLogits
        int row = 0;
        for (ScheduledChunk c : out.chunks()) {
            c.seq().computed(c.numTokens());
            if (c.completes()) {
                Active a = active.get(c.seq());
                float[] next = Arrays.copyOfRange(logits, row * vocab, row * vocab + tokens);
                row++;
                accept(a, a.sampler.sample(next));
            }
        }
        publishStats();
        return true;
    }

    private ForwardBatch toBatch(SchedulerOutput out) {
        int[] tokens = new int[out.numTokens()];
        List<ForwardBatch.Segment> segments = new ArrayList<>(out.chunks().size());
        int at = 0;
        for (ScheduledChunk c : out.chunks()) {
            for (int i = 0; i < c.numTokens(); i++) {
                tokens[at + i] = c.seq().token(c.startPos() + i);
            }
            segments.add(new ForwardBatch.Segment(at, c.numTokens(), c.startPos(), c.seq().cache(), c.completes()));
            at += c.numTokens();
        }
        return new ForwardBatch(tokens, segments);
    }

    private void accept(Active a, int token) {
        if (a.cancelled) {
            finish(a, FinishReason.CANCELLED);
        } else if (tokenizer.isEndOfGeneration(token)) {
            finish(a, FinishReason.STOP);
        } else {
            a.seq.append(token);
            try {
                a.listener.onToken(token);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "listener of " + a.seq.id() + " failed; cancelling it", e);
                a.cancelled = true;
            }
            if (a.seq.numGenerated() >= a.seq.maxTokens()) {
                finish(a, FinishReason.LENGTH);
            }
        }
    }

    private void finish(Active a, FinishReason reason) {
        release(a);
        try {
            a.listener.onComplete(reason, a.seq.promptLength(), a.seq.numGenerated());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + a.seq.id() + " failed on completion", e);
        }
    }

    private void fail(Active a, RuntimeException error) {
        release(a);
        try {
            a.listener.onError(error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + a.seq.id() + " failed on error", e);
        }
    }

    private void release(Active a) {
        if (active.remove(a.seq) != null) {
            scheduler.remove(a.seq);
            publishStats(); // before the listener hears of it: its blocks are already free
        }
    }

    private void failAll(RuntimeException error) {
        for (Active a : List.copyOf(active.values())) {
            fail(a, error);
        }
        for (Active a; (a = submitted.poll()) != null; ) {
            a.listener.onError(error);
        }
        publishStats();
    }

    private void publishStats() {
        numRunning = scheduler.numRunning();
        numSchedulerWaiting = scheduler.numWaiting();
        kvUsage = kv.usage();
        prefixHitTokens = kv.prefixHitTokens();
    }

    @Override
    public void close() {
        closed = true;
        wake();
        try {
            stepThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The cache's native memory goes only once no step can read it; a step thread that did not stop
        // keeps it (and the model) until the process exits, rather than failing on freed memory.
        if (stepThread.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "the engine step did not stop within 10 s; leaving its KV cache and model open");
            return;
        }
        kv.close();
        loaded.close();
    }
}
