package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.resources.Labels;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each child hold its desired state: creates it, or applies it (server-side apply, our field
 * manager, forcing conflicts) when it no longer holds what we applied. A steady-state reconcile
 * writes nothing. When the desired state did not change since our last write (the child carries its
 * hash) a difference was made by someone else: it is reverted and a {@code DriftRepaired} event says
 * what was restored.
 */
final class ChildReconciler {
    static final String FIELD_MANAGER = "moe-operator";
    private static final Logger LOG = LoggerFactory.getLogger(ChildReconciler.class);

    private final KubernetesClient client;
    private final EventRecorder events;
    private final DriftMatcher matcher = new DriftMatcher();

    ChildReconciler(KubernetesClient client, EventRecorder events) {
        this.client = client;
        this.events = events;
    }

    /** @param actual the live object (from an informer's cache), or empty when there is none */
    <R extends HasMetadata> void reconcile(MoEDeployment moe, R desired, Optional<? extends HasMetadata> actual,
                                           Context<MoEDeployment> context) {
        if (actual.isPresent()) {
            HasMetadata live = actual.get();
            if (matcher.matches(live, desired, context)) return;
            if (Objects.equals(hashOf(live), hashOf(desired))) {
                String what = desired.getKind() + " " + desired.getMetadata().getName();
                LOG.info("{}/{}: {} was changed outside the operator; restoring it", moe.getMetadata().getNamespace(),
                        moe.getMetadata().getName(), what);
                events.warning(moe, "DriftRepaired", what + " was changed outside the operator; restored to the desired state");
            }
        }
        client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    void delete(HasMetadata existing) {
        if (existing != null) client.resource(existing).delete();
    }

    private static String hashOf(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.DESIRED_HASH);
    }
}
