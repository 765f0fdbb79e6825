package io.moeoperator.operator.resources;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The objects of one serving group: one StatefulSet per revision (rank = pod ordinal) and a headless
 * peer Service shared by its revisions. A revision's pod template never changes: a changed template
 * is a new revision, a new StatefulSet beside the old one, so the ranks of one StatefulSet always run
 * the same model, image and shard plan.
 */
public final class GroupResources {
    private GroupResources() {}

    /**
     * The revision the current spec's groups run: a short hash of the pod template (group 0's; the
     * others differ from it only by their index), computed before the revision is written into it.
     * Scaling does not change it; anything that changes what a pod runs does.
     */
    public static String revision(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, TemplateInputs inputs) {
        PodTemplateSpec template = RuntimePodTemplate.desired(moe, spec, config, 0, "", inputs);
        return Owned.hash(template).substring(0, Names.REVISION_LENGTH);
    }

    public static StatefulSet statefulSet(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group,
                                          String revision, TemplateInputs inputs) {
        PodTemplateSpec template = RuntimePodTemplate.desired(moe, spec, config, group, revision, inputs);
        StatefulSet sts = new StatefulSetBuilder()
                .withMetadata(Owned.metadata(moe, Names.group(moe, group, revision), Labels.pod(moe, group, revision)))
                .editMetadata().addToAnnotations(Labels.RANKS, String.valueOf(spec.expertParallelism())).endMetadata()
                .withNewSpec()
                    .withReplicas(spec.expertParallelism())
                    .withServiceName(Names.peers(moe, group))
                    // All ranks start together: each waits for its peers before it reports ready.
                    .withPodManagementPolicy("Parallel")
                    .withNewSelector().withMatchLabels(Labels.revisionSelector(moe, group, revision)).endSelector()
                    // The operator never changes this template; a hand edit is reverted, and the
                    // controller rolls the pods back to it.
                    .withNewUpdateStrategy().withType("RollingUpdate").endUpdateStrategy()
                    .withRevisionHistoryLimit(2)
                    .withTemplate(template)
                .endSpec()
                .build();
        return Owned.withDesiredHash(sts);
    }

    /** Headless, and publishing not-ready pods: ranks must find each other before any is ready. */
    public static Service peerService(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group) {
        List<ServicePort> ports = new ArrayList<>();
        ports.add(new ServicePortBuilder().withName("http").withPort(spec.port()).withNewTargetPort("http").withProtocol("TCP").build());
        if (spec.expertParallelism() > 1) {
            ports.add(new ServicePortBuilder().withName("experts").withPort(config.expertPort())
                    .withNewTargetPort("experts").withProtocol("TCP").build());
        }
        Map<String, String> labels = Labels.group(moe, group);
        labels.put(Labels.COMPONENT, "peers");
        Service service = new ServiceBuilder()
                .withMetadata(Owned.metadata(moe, Names.peers(moe, group), labels))
                .withNewSpec()
                    .withClusterIP("None")
                    .withPublishNotReadyAddresses(true)
                    .withSelector(Labels.groupSelector(moe, group))
                    .withPorts(ports)
                .endSpec()
                .build();
        return Owned.withDesiredHash(service);
    }
}
