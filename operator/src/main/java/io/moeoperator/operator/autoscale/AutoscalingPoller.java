package io.moeoperator.operator.autoscale;

import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls Prometheus for each autoscaled MoEDeployment on its own schedule, off the reconcile threads:
 * each evaluation runs on its own virtual thread, so a Prometheus that answers slowly for one
 * deployment delays nobody else's reconcile or evaluation. After each evaluation it hands the
 * outcome to the reconciler as an event (a reconcile of that deployment), which reports it in status.
 *
 * <p>A deployment is polled once the reconciler {@link #track tracks} it (so only the leader polls)
 * and forgotten when autoscaling is turned off or the deployment is deleted (JOSDK tells every
 * event source of the deletion; no finalizer is needed).
 */
public final class AutoscalingPoller extends AbstractEventSource<AutoscalingController.Outcome, MoEDeployment>
        implements ResourceEventAware<MoEDeployment> {
    private static final Logger LOG = LoggerFactory.getLogger(AutoscalingPoller.class);

    /** One tracked deployment: what to evaluate next, and the last outcome. */
    private static final class Tracked {
        volatile MoEDeployment moe;
        volatile ResolvedSpec spec;
        volatile AutoscalingController.Outcome last;
        ScheduledFuture<?> next;
        boolean cancelled;
    }

    private final AutoscalingController controller;
    private final Clock clock;
    private final Map<ResourceID, Tracked> tracked = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "autoscaling-timer");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService evaluations = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("autoscaling-eval-", 0).factory());

    public AutoscalingPoller(AutoscalingController controller, Clock clock) {
        super(AutoscalingController.Outcome.class, "autoscaling");
        this.controller = controller;
        this.clock = clock;
    }

    /**
     * Called by the reconciler: evaluate this deployment from now on with this spec (or stop, when
     * its autoscaling is off). No I/O.
     *
     * @return the last outcome, empty before the first evaluation finished or when autoscaling is off
     */
    public Optional<AutoscalingController.Outcome> track(MoEDeployment moe, ResolvedSpec spec) {
        ResourceID id = ResourceID.fromResource(moe);
        if (spec.autoscaling() == null) {
            forget(id);
            return Optional.empty();
        }
        Tracked t = tracked.computeIfAbsent(id, k -> new Tracked());
        t.moe = moe;
        t.spec = spec;
        synchronized (t) {
            if (t.next == null && !t.cancelled) t.next = timer.schedule(() -> startEvaluation(id, t), 0, TimeUnit.MILLISECONDS);
        }
        return Optional.ofNullable(t.last);
    }

    /** Deployments tracked now (for tests: deleting one drops it). */
    public int size() {
        return tracked.size();
    }

    /** Stop evaluating a deployment (its spec is invalid: nothing changes until it is fixed). */
    public void untrack(MoEDeployment moe) {
        forget(ResourceID.fromResource(moe));
    }

    @Override
    public void onResourceDeleted(MoEDeployment moe) {
        forget(ResourceID.fromResource(moe));
    }

    private void forget(ResourceID id) {
        Tracked t = tracked.remove(id);
        if (t == null) return;
        synchronized (t) {
            t.cancelled = true;
            if (t.next != null) t.next.cancel(false);
        }
        MoEDeployment moe = t.moe;
        if (moe != null) controller.forget(AutoscalingController.key(moe));
    }

    /** On the timer thread: hand the blocking evaluation to a virtual thread of its own. */
    private void startEvaluation(ResourceID id, Tracked t) {
        evaluations.execute(() -> evaluate(id, t));
    }

    private void evaluate(ResourceID id, Tracked t) {
        AutoscalingController.Outcome outcome;
        try {
            outcome = controller.evaluate(t.moe, t.spec, clock.instant());
        } catch (RuntimeException e) {
            // The scale write or the HPA check failed (API server unreachable, RBAC): try again later.
            LOG.warn("{}: autoscaling evaluation failed: {}", id, e.toString());
            outcome = null;
        }
        synchronized (t) {
            if (t.cancelled) {
                controller.forget(AutoscalingController.key(t.moe)); // the evaluation may have made state again
                return;
            }
            if (outcome != null) t.last = outcome;
            long delay = outcome != null ? outcome.nextIn().toMillis() : t.spec.autoscaling().pollInterval().toMillis();
            t.next = timer.schedule(() -> startEvaluation(id, t), delay, TimeUnit.MILLISECONDS);
        }
        if (outcome != null && isRunning()) getEventHandler().handleEvent(new Event(id));
    }

    @Override
    public Set<AutoscalingController.Outcome> getSecondaryResources(MoEDeployment primary) {
        Tracked t = tracked.get(ResourceID.fromResource(primary));
        return t == null || t.last == null ? Set.of() : Set.of(t.last);
    }

    @Override
    public void stop() {
        super.stop();
        timer.shutdownNow();
        evaluations.shutdownNow();
        tracked.clear();
    }
}
