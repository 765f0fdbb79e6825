package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
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
import io.moeoperator.operator.autoscale.AutoscalingPoller;
import io.moeoperator.operator.resources.DeploymentResources;
import io.moeoperator.operator.resources.GroupResources;
import io.moeoperator.operator.resources.Labels;
import io.moeoperator.operator.resources.Names;
import io.moeoperator.operator.resources.TemplateInputs;
import io.moeoperator.operator.spec.InvalidSpecException;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a MoEDeployment into its serving groups: observe -> validate -> act -> report. Every object
 * comes from a pure desired-state builder (resources/); this class asks {@link RolloutPlanner} which
 * groups may change now, has {@link ChildReconciler} bring each child to its desired state (hand
 * edits included) and reports status. It does no I/O but to the API server: autoscaling evaluations
 * run in {@link AutoscalingPoller}. Deletion needs no finalizer: everything carries a controller
 * owner reference.
 */
@ControllerConfiguration(name = MoEDeploymentReconciler.NAME, fieldManager = ChildReconciler.FIELD_MANAGER)
public class MoEDeploymentReconciler implements Reconciler<MoEDeployment> {
    public static final String NAME = "moedeployment";
    private static final Logger LOG = LoggerFactory.getLogger(MoEDeploymentReconciler.class);
    /** While groups start or roll, look again this often even without events (for the Degraded timeout). */
    static final Duration RECHECK = Duration.ofSeconds(30);
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final OperatorConfig config;
    private final Clock clock;
    private final KubernetesClient client;
    private final ClusterCapabilities capabilities;
    private final EventRecorder events;
    private final ChildReconciler children;
    private final AutoscalingPoller autoscaling;

    public MoEDeploymentReconciler(KubernetesClient client, OperatorConfig config, Clock clock, AutoscalingPoller autoscaling) {
        this.client = client;
        this.config = config;
        this.clock = clock;
        this.capabilities = new ClusterCapabilities(client, clock);
        this.events = new EventRecorder(client, clock);
        this.children = new ChildReconciler(client, events);
        this.autoscaling = autoscaling;
    }


    @Override
    public List<EventSource<?, MoEDeployment>> prepareEventSources(EventSourceContext<MoEDeployment> context) {
        String owned = Labels.MANAGED_BY + "=" + Labels.OPERATOR;
        List<EventSource<?, MoEDeployment>> sources = new ArrayList<>();
        // Not Secrets: the operator may not list or watch them (chart RBAC); it reads its one Secret by name.
        for (Class<? extends HasMetadata> kind : List.of(StatefulSet.class, Service.class, ConfigMap.class,
                capabilities.current().podDisruptionBudgetClass())) {
            sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(kind, MoEDeployment.class)
                    .withLabelSelector(owned).build(), context));
        }
        if (autoscaling != null) sources.add(autoscaling);
        return sources;
    }

    @Override
    public UpdateControl<MoEDeployment> reconcile(MoEDeployment moe, Context<MoEDeployment> context) {
        Instant now = clock.instant();
        MoEDeploymentStatus previous = moe.getStatus() == null ? new MoEDeploymentStatus() : moe.getStatus();
        Map<Integer, List<GroupState>> groups = new TreeMap<>();
        Map<String, StatefulSet> statefulSets = new TreeMap<>();
        for (StatefulSet sts : context.getSecondaryResources(StatefulSet.class)) {
            int index = Names.groupIndexOf(moe, sts.getMetadata().getName());
            if (index < 0) continue;
            groups.computeIfAbsent(index, i -> new ArrayList<>()).add(GroupState.of(index, sts));
            statefulSets.put(sts.getMetadata().getName(), sts);
        }

        ResolvedSpec spec;
        try {
            spec = ResolvedSpec.resolve(moe, config);
        } catch (InvalidSpecException e) {
            return invalidSpec(moe, previous, groups, e, now);
        }

        ClusterCapabilities.Snapshot cluster = capabilities.current();
        String keyDigest = spec.expertParallelism() > 1 ? reconcileExpertSecret(moe, context) : null;
        TemplateInputs inputs = new TemplateInputs(!cluster.serviceMonitor(), keyDigest);
        String revision = GroupResources.revision(moe, spec, config, inputs);
        RolloutPlanner.Step step = RolloutPlanner.plan(spec.replicas(), spec.updateStrategy(), groups, revision);

        children.reconcile(moe, DeploymentResources.clientService(moe, spec), find(context, Service.class, Names.clientService(moe)), context);
        for (String name : step.delete()) {
            children.delete(statefulSets.get(name));
        }
        for (int i = 0; i < spec.replicas(); i++) {
            children.reconcile(moe, GroupResources.peerService(moe, spec, config, i), find(context, Service.class, Names.peers(moe, i)), context);
            StatefulSet desired = GroupResources.statefulSet(moe, spec, config, i, revision, inputs);
            Optional<StatefulSet> current = Optional.ofNullable(statefulSets.get(desired.getMetadata().getName()));
            // A group's current revision is made when the plan says so, and kept as desired from then on.
            if (current.isPresent() || step.create().contains(i) || step.replace().contains(i)) {
                children.reconcile(moe, desired, current, context);
            }
        }
        for (Service service : context.getSecondaryResources(Service.class)) {
            if (Names.peersGroupIndexOf(moe, service.getMetadata().getName()) >= spec.replicas()) children.delete(service);
        }
        find(context, ConfigMap.class, Names.legacyConfigMap(moe)).ifPresent(children::delete);
        reconcileOptionalChildren(moe, cluster, context);
        recordEvents(moe, spec, step, groups, revision);

        MoEDeploymentStatus status = StatusReport.serving(moe, spec, previous, groups, step, revision, now);
        statusEvents(moe, previous, status);
        autoscalingStatus(moe, spec, previous, status, now);
        boolean settled = StatusBuilder.isTrue(status, StatusBuilder.READY) && !StatusBuilder.isTrue(status, StatusBuilder.PROGRESSING);
        UpdateControl<MoEDeployment> control = UpdateControl.patchStatus(StatusReport.patch(moe, status));
        return settled ? control : control.rescheduleAfter(recheckAfter(spec, groups, now));
    }

    /**
     * The ranks' shared secret: kept while it holds a usable key, a new key otherwise (a new key is a
     * new revision: groups move to it one at a time). Returns the key's digest for the pod template.
     */
    private String reconcileExpertSecret(MoEDeployment moe, Context<MoEDeployment> context) {
        String name = Names.expertSecret(moe);
        Secret live = client.secrets().inNamespace(moe.getMetadata().getNamespace()).withName(name).get();
        byte[] key = DeploymentResources.expertKey(live);
        if (key == null) {
            key = new byte[DeploymentResources.EXPERT_KEY_BYTES];
            RANDOM.nextBytes(key);
            if (live != null) {
                events.warning(moe, "ExpertSecretReplaced", "Secret " + name + " held no usable key (32 bytes under '"
                        + io.moeoperator.operator.resources.RuntimeCommand.EP_SECRET_KEY
                        + "'); made a new one: groups move to it one at a time");
            }
        }
        children.reconcile(moe, DeploymentResources.expertSecret(moe, key), Optional.ofNullable(live), context);
        return DeploymentResources.expertKeyDigest(key);
    }

    /** The PodDisruptionBudget and ServiceMonitor, where the cluster serves their APIs. */
    private void reconcileOptionalChildren(MoEDeployment moe, ClusterCapabilities.Snapshot cluster, Context<MoEDeployment> context) {
        HasMetadata pdb = cluster.podDisruptionBudgetV1() ? DeploymentResources.podDisruptionBudget(moe)
                : DeploymentResources.podDisruptionBudgetV1beta1(moe);
        children.reconcile(moe, pdb, find(context, cluster.podDisruptionBudgetClass(), pdb.getMetadata().getName()), context);
        if (cluster.serviceMonitor()) {
            GenericKubernetesResource monitor = DeploymentResources.serviceMonitor(moe);
            GenericKubernetesResource live = client.genericKubernetesResources(monitor.getApiVersion(), monitor.getKind())
                    .inNamespace(moe.getMetadata().getNamespace()).withName(monitor.getMetadata().getName()).get();
            children.reconcile(moe, monitor, Optional.ofNullable(live), context);
        }
    }

    /** Status of autoscaling from the poller's last evaluation (none has run yet: the previous status stays). */
    private void autoscalingStatus(MoEDeployment moe, ResolvedSpec spec, MoEDeploymentStatus previous,
                                   MoEDeploymentStatus status, Instant now) {
        Optional<AutoscalingController.Outcome> outcome = autoscaling == null ? Optional.empty() : autoscaling.track(moe, spec);
        if (spec.autoscaling() == null) {
            status.setAutoscaling(null);
            status.getConditions().removeIf(c -> StatusBuilder.AUTOSCALING_ACTIVE.equals(c.getType()));
            return;
        }
        if (outcome.isEmpty()) {
            status.setAutoscaling(previous.getAutoscaling());
            return;
        }
        AutoscalingController.Outcome o = outcome.get();
        status.setAutoscaling(o.status());
        var before = previous.condition(StatusBuilder.AUTOSCALING_ACTIVE);
        StatusBuilder.setCondition(status, moe.getMetadata().getGeneration(), StatusBuilder.AUTOSCALING_ACTIVE, o.active(),
                o.reason(), o.message(), now);
        if (!o.active() && (before == null || !o.reason().equals(before.getReason()))) {
            events.warning(moe, "AutoscalingFailed", o.message());
        }
    }

    /** Look again within RECHECK, or just after the next starting group's startup budget runs out. */
    private static Duration recheckAfter(ResolvedSpec spec, Map<Integer, List<GroupState>> groups, Instant now) {
        Duration next = RECHECK;
        for (List<GroupState> revisions : groups.values()) {
            for (GroupState g : revisions) {
                if (g.createdAt() == null || g.ready()) continue;
                Duration left = Duration.between(now, g.createdAt().plusSeconds(spec.startupTimeoutSeconds() + 1L));
                if (!left.isNegative() && left.compareTo(next) < 0) next = left;
            }
        }
        return next;
    }

    /** Nothing is created or changed; groups that already run keep serving the last valid spec. */
    private UpdateControl<MoEDeployment> invalidSpec(MoEDeployment moe, MoEDeploymentStatus previous,
                                                      Map<Integer, List<GroupState>> groups, InvalidSpecException e, Instant now) {
        String message = e.getMessage();
        var before = previous.condition(StatusBuilder.READY);
        if (before == null || !"InvalidSpec".equals(before.getReason()) || !message.equals(before.getMessage())) {
            LOG.warn("{}/{}: invalid spec: {}", moe.getMetadata().getNamespace(), moe.getMetadata().getName(), message);
            events.warning(moe, "InvalidSpec", message);
        }
        if (autoscaling != null) autoscaling.untrack(moe); // nothing changes until the spec is fixed
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

    private void recordEvents(MoEDeployment moe, ResolvedSpec spec, RolloutPlanner.Step step,
                              Map<Integer, List<GroupState>> groups, String revision) {
        if (!step.create().isEmpty()) {
            events.normal(moe, "ScalingUp", "creating serving groups " + step.create() + " (" + groups.size() + " -> " + spec.replicas() + " groups)");
        }
        if (!step.removed().isEmpty()) {
            events.normal(moe, "ScalingDown", "removing serving groups " + step.removed() + " (" + groups.size() + " -> " + spec.replicas() + " groups)");
        }
        for (int i : step.replace()) {
            List<String> old = groups.getOrDefault(i, List.of()).stream().map(GroupState::revision)
                    .map(r -> r == null ? "(unversioned)" : r).toList();
            String how = spec.updateStrategy() == io.moeoperator.operator.api.UpdateStrategySpec.Type.Recreate
                    ? "after stopping " : "beside ";
            events.normal(moe, "RollingUpdate", "starting revision " + revision + " of group " + i
                    + (old.isEmpty() ? "" : " " + how + "revision " + String.join(", ", old))
                    + (step.waiting().isEmpty() ? "" : "; then groups " + step.waiting()));
        }
        for (int i : step.replaced()) {
            events.normal(moe, "GroupReplaced", "group " + i + " serves revision " + revision + "; its older revision is removed");
        }
    }

    private static <R extends HasMetadata> Optional<R> find(Context<MoEDeployment> context, Class<R> type, String name) {
        return context.getSecondaryResources(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }
}
