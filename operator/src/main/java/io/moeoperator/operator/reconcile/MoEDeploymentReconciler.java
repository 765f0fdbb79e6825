package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.MoEDeploymentStatus;
import io.moeoperator.operator.autoscale.AutoscalingController;
import io.moeoperator.operator.autoscale.PrometheusClient;
import io.moeoperator.operator.resources.DeploymentResources;
import io.moeoperator.operator.resources.GroupResources;
import io.moeoperator.operator.resources.Labels;
import io.moeoperator.operator.resources.Names;
import io.moeoperator.operator.spec.InvalidSpecException;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a MoEDeployment into its serving groups. Every object comes from a pure desired-state
 * builder (resources/); this class only observes, asks {@link RolloutPlanner} what may change now,
 * writes what differs (server-side apply, skipped when the content hash matches) and reports status.
 * Deletion needs no finalizer: everything carries a controller owner reference.
 */
@ControllerConfiguration(name = MoEDeploymentReconciler.NAME)
public class MoEDeploymentReconciler implements Reconciler<MoEDeployment> {
    public static final String NAME = "moedeployment";
    private static final Logger LOG = LoggerFactory.getLogger(MoEDeploymentReconciler.class);
    /** While groups start or roll, look again this often even without events (for the Degraded timeout). */
    static final Duration RECHECK = Duration.ofSeconds(30);
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final OperatorConfig config;
    private final Clock clock;
    private volatile ClusterCapabilities capabilities;
    private volatile EventRecorder events;
    private volatile ChildWriter writer;
    private volatile AutoscalingController autoscaling;

    public MoEDeploymentReconciler(OperatorConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, MoEDeployment>> prepareEventSources(EventSourceContext<MoEDeployment> context) {
        String owned = Labels.MANAGED_BY + "=" + Labels.OPERATOR;
        return List.of(
                new InformerEventSource<>(InformerEventSourceConfiguration.from(StatefulSet.class, MoEDeployment.class)
                        .withLabelSelector(owned).build(), context),
                new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, MoEDeployment.class)
                        .withLabelSelector(owned).build(), context),
                new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, MoEDeployment.class)
                        .withLabelSelector(owned).build(), context));
    }

    private void init(KubernetesClient client) {
        if (writer == null) {
            capabilities = new ClusterCapabilities(client, clock);
            events = new EventRecorder(client, clock);
            autoscaling = new AutoscalingController(client, new PrometheusClient());
            writer = new ChildWriter(client);
        }
    }


    @Override
    public UpdateControl<MoEDeployment> reconcile(MoEDeployment moe, Context<MoEDeployment> context) {
        init(context.getClient());
        Instant now = clock.instant();
        long generation = moe.getMetadata().getGeneration();
        MoEDeploymentStatus previous = moe.getStatus() == null ? new MoEDeploymentStatus() : moe.getStatus();
        Map<Integer, StatefulSet> groups = new TreeMap<>();
        for (StatefulSet sts : context.getSecondaryResources(StatefulSet.class)) {
            int index = Names.groupIndexOf(moe, sts.getMetadata().getName());
            if (index >= 0) groups.put(index, sts);
        }

        ResolvedSpec spec;
        try {
            if (moe.getMetadata().getName().length() > Names.MAX_DEPLOYMENT_NAME) {
                throw new InvalidSpecException(List.of("metadata.name: at most " + Names.MAX_DEPLOYMENT_NAME
                        + " characters (pod names add -g<group>-<rank>), got " + moe.getMetadata().getName().length()));
            }
            spec = ResolvedSpec.resolve(moe.getSpec(), config);
        } catch (InvalidSpecException e) {
            return invalidSpec(moe, previous, groups, e, now);
        }

        ClusterCapabilities.Snapshot cluster = capabilities.current();
        boolean scrapeAnnotations = !cluster.serviceMonitor();
        Map<Integer, StatefulSet> desired = new HashMap<>();
        for (int i = 0; i < spec.replicas(); i++) {
            desired.put(i, GroupResources.statefulSet(moe, spec, config, i, scrapeAnnotations));
        }
        Map<Integer, GroupState> observed = new TreeMap<>();
        groups.forEach((i, sts) -> observed.put(i, GroupState.of(i, sts)));
        RolloutPlanner.Step step = RolloutPlanner.plan(spec.replicas(), observed,
                i -> desired.get(i).getMetadata().getAnnotations().get(Labels.TEMPLATE_HASH));

        if (spec.expertParallelism() > 1) {
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            writer.createIfAbsent(DeploymentResources.expertSecret(moe, key));
        }
        writer.apply(DeploymentResources.runtimeConfig(moe, spec, config), find(context, ConfigMap.class, Names.configMap(moe)));
        writer.apply(DeploymentResources.clientService(moe, spec), find(context, Service.class, Names.clientService(moe)));
        for (int i = 0; i < spec.replicas(); i++) {
            writer.apply(GroupResources.peerService(moe, spec, config, i), find(context, Service.class, Names.peers(moe, i)));
            if (!step.waiting().contains(i)) {
                writer.applyGroup(desired.get(i), groups.get(i), now);
            }
        }
        for (int i : step.delete()) {
            writer.delete(groups.get(i));
            find(context, Service.class, Names.peers(moe, i)).ifPresent(writer::delete);
        }
        if (cluster.podDisruptionBudgetV1()) {
            PodDisruptionBudget pdb = DeploymentResources.podDisruptionBudget(moe);
            writer.apply(pdb, writer.get(pdb));
        }
        if (cluster.serviceMonitor()) {
            GenericKubernetesResource monitor = DeploymentResources.serviceMonitor(moe);
            writer.apply(monitor, writer.get(monitor));
        }
        recordEvents(moe, step, groups.size(), spec.replicas());

        MoEDeploymentStatus status = StatusReport.serving(moe, spec, previous, groups, observed, step,
                i -> desired.get(i).getMetadata().getAnnotations().get(Labels.TEMPLATE_HASH), now);
        statusEvents(moe, previous, status);
        boolean settled = StatusBuilder.isTrue(status, StatusBuilder.READY) && !StatusBuilder.isTrue(status, StatusBuilder.PROGRESSING);
        Duration next = settled ? null : recheckAfter(spec, groups, now);
        Duration autoscaleIn = autoscale(moe, spec, previous, status, now);
        if (autoscaleIn != null && (next == null || autoscaleIn.compareTo(next) < 0)) next = autoscaleIn;
        UpdateControl<MoEDeployment> control = UpdateControl.patchStatus(StatusReport.patch(moe, status));
        return next == null ? control : control.rescheduleAfter(next);
    }

    /** Evaluates autoscaling when due; returns when to look again, or null when it is off. */
    private Duration autoscale(MoEDeployment moe, ResolvedSpec spec, MoEDeploymentStatus previous,
                               MoEDeploymentStatus status, Instant now) {
        if (spec.autoscaling() == null) {
            autoscaling.forget(moe);
            status.setAutoscaling(null);
            status.getConditions().removeIf(c -> StatusBuilder.AUTOSCALING_ACTIVE.equals(c.getType()));
            return null;
        }
        AutoscalingController.Outcome outcome = autoscaling.evaluate(moe, spec, previous.getAutoscaling(), now);
        status.setAutoscaling(outcome.status());
        var before = previous.condition(StatusBuilder.AUTOSCALING_ACTIVE);
        StatusBuilder.setCondition(status, moe.getMetadata().getGeneration(), StatusBuilder.AUTOSCALING_ACTIVE, outcome.active(),
                outcome.reason(), outcome.message(), now);
        if (outcome.scaledTo() != null) {
            events.normal(moe, "Autoscaled", "scaled from " + outcome.scaledFrom() + " to " + outcome.scaledTo()
                    + " groups: " + outcome.status().reason());
        }
        if (!outcome.active() && (before == null || !outcome.reason().equals(before.getReason()))) {
            events.warning(moe, "AutoscalingFailed", outcome.message());
        }
        return outcome.nextIn();
    }

    /** Look again within RECHECK, or just after the next starting group's startup budget runs out. */
    private static Duration recheckAfter(ResolvedSpec spec, Map<Integer, StatefulSet> groups, Instant now) {
        Duration next = RECHECK;
        for (StatefulSet sts : groups.values()) {
            Instant appliedAt = ChildWriter.templateAppliedAt(sts);
            if (appliedAt == null) continue;
            Duration left = Duration.between(now, appliedAt.plusSeconds(spec.startupTimeoutSeconds() + 1L));
            if (!left.isNegative() && left.compareTo(next) < 0) next = left;
        }
        return next;
    }

    /** Nothing is created or changed; groups that already run keep serving the last valid spec. */
    private UpdateControl<MoEDeployment> invalidSpec(MoEDeployment moe, MoEDeploymentStatus previous,
                                                      Map<Integer, StatefulSet> groups, InvalidSpecException e, Instant now) {
        String message = e.getMessage();
        var before = previous.condition(StatusBuilder.READY);
        if (before == null || !"InvalidSpec".equals(before.getReason()) || !message.equals(before.getMessage())) {
            LOG.warn("{}/{}: invalid spec: {}", moe.getMetadata().getNamespace(), moe.getMetadata().getName(), message);
            events.warning(moe, "InvalidSpec", message);
        }
        return UpdateControl.patchStatus(StatusReport.patch(moe, StatusReport.invalid(moe, previous, groups, message, now)));
    }

    /** Events for transitions: a rollout finishing, groups failing. */
    private void statusEvents(MoEDeployment moe, MoEDeploymentStatus previous, MoEDeploymentStatus status) {
        if (StatusBuilder.isTrue(previous, StatusBuilder.PROGRESSING) && !StatusBuilder.isTrue(status, StatusBuilder.PROGRESSING)) {
            events.normal(moe, "RolloutComplete", status.condition(StatusBuilder.PROGRESSING).getMessage());
        }
        if (!StatusBuilder.isTrue(previous, StatusBuilder.DEGRADED) && StatusBuilder.isTrue(status, StatusBuilder.DEGRADED)) {
            events.warning(moe, "GroupsUnavailable", status.condition(StatusBuilder.DEGRADED).getMessage());
        }
    }

    private void recordEvents(MoEDeployment moe, RolloutPlanner.Step step, int before, int after) {
        if (!step.create().isEmpty()) {
            events.normal(moe, "ScalingUp", "creating serving groups " + list(step.create()) + " (" + before + " -> " + after + " groups)");
        }
        if (!step.delete().isEmpty()) {
            events.normal(moe, "ScalingDown", "removing serving groups " + list(step.delete()) + " (" + before + " -> " + after + " groups)");
        }
        if (!step.update().isEmpty()) {
            events.normal(moe, "RollingUpdate", "updating serving groups " + list(step.update()) + " to the current spec"
                    + (step.waiting().isEmpty() ? "" : "; then " + list(step.waiting())));
        }
    }

    private static String list(List<Integer> groups) {
        return groups.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static <R extends HasMetadata> java.util.Optional<R> find(Context<MoEDeployment> context, Class<R> type, String name) {
        return context.getSecondaryResources(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }
}
