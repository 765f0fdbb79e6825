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

/** The objects of one serving group: its StatefulSet (rank = pod ordinal) and headless peer Service. */
public final class GroupResources {
    private GroupResources() {}

    /** Hash of the pod template a group runs; groups whose StatefulSet carries another hash are outdated. */
    public static String templateHash(PodTemplateSpec template) {
        return Owned.hash(template);
    }

    public static StatefulSet statefulSet(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group,
                                          boolean scrapeAnnotations) {
        PodTemplateSpec template = RuntimePodTemplate.desired(moe, spec, config, group, scrapeAnnotations);
        StatefulSet sts = new StatefulSetBuilder()
                .withMetadata(Owned.metadata(moe, Names.group(moe, group), Labels.pod(moe, group)))
                .editMetadata().addToAnnotations(Labels.TEMPLATE_HASH, templateHash(template)).endMetadata()
                .withNewSpec()
                    .withReplicas(spec.expertParallelism())
                    .withServiceName(Names.peers(moe, group))
                    // All ranks start together: each waits for its peers before it reports ready.
                    .withPodManagementPolicy("Parallel")
                    .withNewSelector().withMatchLabels(Labels.groupSelector(moe, group)).endSelector()
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
        Map<String, String> labels = Labels.pod(moe, group);
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
