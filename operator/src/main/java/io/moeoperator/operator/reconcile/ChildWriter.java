package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.resources.Labels;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes desired children with server-side apply, but only when their content hash differs from
 * what is there: a steady-state reconcile makes no writes at all.
 */
final class ChildWriter {
    static final String FIELD_MANAGER = "moe-operator";
    /** When a group last got a new pod template: the Degraded timeout counts from here. */
    static final String TEMPLATE_APPLIED_AT = MoEDeployment.GROUP + "/template-applied-at";

    private final KubernetesClient client;

    ChildWriter(KubernetesClient client) {
        this.client = client;
    }

    <R extends HasMetadata> void apply(R desired, Optional<? extends HasMetadata> existing) {
        if (existing.isPresent() && Objects.equals(hashOf(existing.get()), hashOf(desired))) return;
        client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /** Like apply, stamping when the group's pod template changed (or keeping the old stamp). */
    void applyGroup(StatefulSet desired, StatefulSet existing, Instant now) {
        if (existing != null && Objects.equals(hashOf(existing), hashOf(desired))) return;
        Map<String, String> annotations = desired.getMetadata().getAnnotations();
        String appliedAt = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
        if (existing != null && Objects.equals(templateHashOf(existing), annotations.get(Labels.TEMPLATE_HASH))) {
            appliedAt = Objects.requireNonNullElse(existing.getMetadata().getAnnotations().get(TEMPLATE_APPLIED_AT), appliedAt);
        }
        annotations.put(TEMPLATE_APPLIED_AT, appliedAt);
        client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /** Creates {@code desired} unless an object of that name exists (whose content is then kept). */
    void createIfAbsent(HasMetadata desired) {
        if (client.resource(desired).get() != null) return;
        try {
            client.resource(desired).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 409) throw e; // created meanwhile: fine
        }
    }

    void delete(HasMetadata existing) {
        if (existing != null) client.resource(existing).delete();
    }

    /** The live object with the desired one's kind, namespace and name (for kinds without an informer). */
    Optional<HasMetadata> get(HasMetadata desired) {
        if (desired instanceof GenericKubernetesResource generic) {
            return Optional.ofNullable(client.genericKubernetesResources(generic.getApiVersion(), generic.getKind())
                    .inNamespace(generic.getMetadata().getNamespace()).withName(generic.getMetadata().getName()).get());
        }
        return Optional.ofNullable(client.resource(desired).get());
    }

    /** When the group got its current pod template, or null when unknown. */
    static Instant templateAppliedAt(StatefulSet sts) {
        if (sts == null || sts.getMetadata().getAnnotations() == null) return null;
        String at = sts.getMetadata().getAnnotations().get(TEMPLATE_APPLIED_AT);
        try {
            return at == null ? null : Instant.parse(at);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Whether the group got its current template before {@code instant} (false when unknown). */
    static boolean startedBefore(StatefulSet sts, Instant instant) {
        Instant at = templateAppliedAt(sts);
        return at != null && at.isBefore(instant);
    }

    private static String hashOf(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.DESIRED_HASH);
    }

    private static String templateHashOf(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.TEMPLATE_HASH);
    }
}
