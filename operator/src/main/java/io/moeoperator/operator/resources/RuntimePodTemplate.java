package io.moeoperator.operator.resources;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.Device;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.ModelCacheSpec;
import io.moeoperator.operator.api.SchedulingSpec.GroupSpread;
import io.moeoperator.operator.spec.ModelUri;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pod of one rank of a serving group: pure function of the deployment, its resolved spec and the group. */
public final class RuntimePodTemplate {
    public static final String CONTAINER = "runtime";
    public static final String GPU_RESOURCE = "nvidia.com/gpu";
    static final long USER_ID = 1000;

    private RuntimePodTemplate() {}

    /**
     * @param revision the revision this template is for (its hash, or "" while computing that hash)
     * @param inputs   what the cluster contributes: scrape annotations or not, the ranks' secret
     */
    public static PodTemplateSpec desired(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group,
                                          String revision, TemplateInputs inputs) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (inputs.expertSecretDigest() != null && spec.expertParallelism() > 1) {
            annotations.put(Labels.EP_SECRET_DIGEST, inputs.expertSecretDigest());
        }
        if (inputs.scrapeAnnotations()) {
            annotations.put("prometheus.io/scrape", "true");
            annotations.put("prometheus.io/port", String.valueOf(spec.port()));
            annotations.put("prometheus.io/path", "/q/metrics");
        }
        List<Container> initContainers = new ArrayList<>();
        List<String> synth = RuntimeCommand.synth(spec);
        if (synth != null) {
            initContainers.add(new ContainerBuilder()
                    .withName("synthesize-model")
                    .withImage(spec.image())
                    .withImagePullPolicy(spec.imagePullPolicy())
                    .withArgs(synth)
                    .withResources(resources(spec, false))
                    .withSecurityContext(containerSecurity())
                    .withVolumeMounts(mounts(spec))
                    .build());
        }
        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                    .withLabels(Labels.pod(moe, group, revision))
                    .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                    .withInitContainers(initContainers)
                    .withContainers(runtimeContainer(moe, spec, config, group, revision))
                    .withVolumes(volumes(moe, spec))
                    .withNodeSelector(new LinkedHashMap<>(spec.nodeSelector()))
                    .withTolerations(tolerations(spec))
                    .withAffinity(affinity(moe, spec, group, revision))
                    .withPriorityClassName(spec.priorityClassName())
                    .withImagePullSecrets(spec.imagePullSecrets())
                    .withEnableServiceLinks(false)
                    .withAutomountServiceAccountToken(false)
                    .withTerminationGracePeriodSeconds(60L)
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true)
                        .withRunAsUser(USER_ID)
                        .withRunAsGroup(USER_ID)
                        .withFsGroup(USER_ID)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                    .endSecurityContext()
                .endSpec()
                .build();
    }

    private static Container runtimeContainer(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group,
                                              String revision) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder().withName(RuntimeCommand.POD_NAME_ENV)
                .withNewValueFrom().withNewFieldRef().withApiVersion("v1").withFieldPath("metadata.name").endFieldRef()
                .endValueFrom().build());
        // The runtime sizes its heap and KV cache from the container's memory (docs/memory.md).
        env.add(new EnvVarBuilder().withName(RuntimeCommand.MEMORY_LIMIT_ENV)
                .withNewValueFrom().withNewResourceFieldRef().withContainerName(CONTAINER).withResource("limits.memory")
                .withDivisor(new Quantity("1")).endResourceFieldRef().endValueFrom().build());
        if (spec.model() instanceof ModelUri.HuggingFace && spec.hfTokenSecret() != null) {
            env.add(new EnvVarBuilder().withName("HF_TOKEN")
                    .withNewValueFrom().withSecretKeyRef(spec.hfTokenSecret()).endValueFrom().build());
        }
        env.addAll(spec.env());
        ContainerBuilder container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.image())
                .withImagePullPolicy(spec.imagePullPolicy())
                .withArgs(RuntimeCommand.serve(moe, spec, config, group, revision))
                .withEnv(env)
                .addNewPort().withName("http").withContainerPort(spec.port()).withProtocol("TCP").endPort()
                .withResources(resources(spec, true))
                .withSecurityContext(containerSecurity())
                .withVolumeMounts(mounts(spec))
                // Big models load for minutes: the startup probe holds off liveness until the model is in.
                .withStartupProbe(probe("/q/health/started", 10, Math.max(1, (spec.startupTimeoutSeconds() + 9) / 10)))
                .withReadinessProbe(probe("/q/health/ready", 5, 3))
                .withLivenessProbe(probe("/q/health/live", 10, 3));
        if (spec.expertParallelism() > 1) {
            container.addNewPort().withName("experts").withContainerPort(config.expertPort()).withProtocol("TCP").endPort();
        }
        return container.build();
    }

    private static Probe probe(String path, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder()
                .withNewHttpGet().withPath(path).withNewPort("http").endHttpGet()
                .withPeriodSeconds(periodSeconds)
                .withTimeoutSeconds(5)
                .withFailureThreshold(failureThreshold)
                .build();
    }

    private static ResourceRequirements resources(ResolvedSpec spec, boolean withGpus) {
        ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(spec.cpu()))
                .addToRequests("memory", new Quantity(spec.memory()))
                .addToLimits("memory", new Quantity(spec.memory()));
        if (withGpus && spec.gpus() > 0) {
            Quantity gpus = new Quantity(String.valueOf(spec.gpus()));
            resources.addToRequests(GPU_RESOURCE, gpus).addToLimits(GPU_RESOURCE, gpus);
        }
        return resources.build();
    }

    private static SecurityContext containerSecurity() {
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    private static List<VolumeMount> mounts(ResolvedSpec spec) {
        List<VolumeMount> mounts = new ArrayList<>();
        mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
        mounts.add(new VolumeMountBuilder().withName("model-cache").withMountPath(RuntimeCommand.CACHE_DIR).build());
        if (spec.expertParallelism() > 1) {
            mounts.add(new VolumeMountBuilder().withName("ep-secret").withMountPath(RuntimeCommand.EP_SECRET_DIR).withReadOnly(true).build());
        }
        if (spec.model() instanceof ModelUri.Pvc) {
            mounts.add(new VolumeMountBuilder().withName("model").withMountPath(RuntimeCommand.MODEL_PVC_DIR).withReadOnly(true).build());
        }
        return mounts;
    }

    private static List<Volume> volumes(MoEDeployment moe, ResolvedSpec spec) {
        List<Volume> volumes = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
        ModelCacheSpec cache = spec.modelCache();
        VolumeBuilder modelCache = new VolumeBuilder().withName("model-cache");
        if (cache != null && cache.persistentVolumeClaim() != null) modelCache.withPersistentVolumeClaim(cache.persistentVolumeClaim());
        else if (cache != null && cache.hostPath() != null) modelCache.withHostPath(cache.hostPath());
        else if (cache != null && cache.emptyDir() != null) modelCache.withEmptyDir(cache.emptyDir());
        else modelCache.withNewEmptyDir().endEmptyDir();
        volumes.add(modelCache.build());
        if (spec.expertParallelism() > 1) {
            volumes.add(new VolumeBuilder().withName("ep-secret")
                    .withNewSecret().withSecretName(Names.expertSecret(moe)).withDefaultMode(0400).endSecret().build());
        }
        if (spec.model() instanceof ModelUri.Pvc pvc) {
            volumes.add(new VolumeBuilder().withName("model")
                    .withNewPersistentVolumeClaim().withClaimName(pvc.claim()).withReadOnly(true).endPersistentVolumeClaim().build());
        }
        return volumes;
    }

    private static List<Toleration> tolerations(ResolvedSpec spec) {
        List<Toleration> tolerations = new ArrayList<>(spec.tolerations());
        boolean gpuTolerated = tolerations.stream().anyMatch(t -> GPU_RESOURCE.equals(t.getKey()));
        if (spec.device() == Device.CUDA && !gpuTolerated) {
            // GPU nodes are commonly tainted nvidia.com/gpu:NoSchedule (GKE, EKS and the GPU operator do it).
            tolerations.add(new TolerationBuilder().withKey(GPU_RESOURCE).withOperator("Exists").withEffect("NoSchedule").build());
        }
        return tolerations;
    }

    /** Ranks of one revision apart (the other revision of a group is another copy of the model). */
    private static Affinity affinity(MoEDeployment moe, ResolvedSpec spec, int group, String revision) {
        Affinity user = spec.affinity();
        boolean spread = spec.groupSpread() != GroupSpread.None && spec.expertParallelism() > 1
                && (user == null || user.getPodAntiAffinity() == null);
        if (!spread) return user;
        PodAffinityTerm apart = new PodAffinityTermBuilder()
                .withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector().withMatchLabels(Labels.revisionSelector(moe, group, revision)).endLabelSelector()
                .build();
        AffinityBuilder affinity = user == null ? new AffinityBuilder() : new AffinityBuilder(user);
        if (spec.groupSpread() == GroupSpread.Required) {
            return affinity.withNewPodAntiAffinity().withRequiredDuringSchedulingIgnoredDuringExecution(apart).endPodAntiAffinity().build();
        }
        return affinity.withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution().withWeight(100).withPodAffinityTerm(apart)
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity().build();
    }
}
