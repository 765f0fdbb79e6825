package io.moeoperator.operator.spec;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Toleration;
import io.moeoperator.operator.api.Device;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.UpdateStrategySpec;
import io.moeoperator.operator.resources.Names;
import io.moeoperator.operator.api.MoEDeploymentSpec;
import io.moeoperator.operator.api.MoEDeploymentSpec.ExpertSharding;
import io.moeoperator.operator.api.ModelCacheSpec;
import io.moeoperator.operator.api.ModelSpec;
import io.moeoperator.operator.api.ResourcesSpec;
import io.moeoperator.operator.api.SchedulingSpec;
import io.moeoperator.operator.api.SchedulingSpec.GroupSpread;
import io.moeoperator.operator.api.ServingSpec;
import io.moeoperator.operator.OperatorConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link MoEDeploymentSpec} with every default applied and every rule checked: the one place that
 * knows the defaults (docs/operator.md lists them). The desired-state builders read only this.
 */
public record ResolvedSpec(
        String modelUri, ModelUri model, String format, String modelFile, String servedModelName,
        int replicas, int expertParallelism, ShardPlan shardPlan, UpdateStrategySpec.Type updateStrategy, Device device,
        String image, String imagePullPolicy,
        int gpus, String cpu, String memory,
        int port, Integer maxNumSeqs, Integer contextLength, Long kvCacheBytes, Integer threads, int startupTimeoutSeconds,
        Map<String, String> nodeSelector, List<Toleration> tolerations, Affinity affinity,
        GroupSpread groupSpread, String priorityClassName,
        ModelCacheSpec modelCache, List<EnvVar> env, List<LocalObjectReference> imagePullSecrets,
        SecretKeySelector hfTokenSecret, ResolvedAutoscaling autoscaling) {

    public static final int DEFAULT_PORT = 8000;
    public static final int DEFAULT_STARTUP_TIMEOUT_SECONDS = 1800;
    public static final String DEFAULT_CPU = "1";
    public static final String DEFAULT_MEMORY = "2Gi";
    static final Set<String> FORMATS = Set.of("gguf", "safetensors");
    static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

    /** The deployment's spec resolved, and its name checked: every child name must stay a valid DNS label. */
    public static ResolvedSpec resolve(MoEDeployment moe, OperatorConfig config) throws InvalidSpecException {
        String name = moe.getMetadata().getName();
        if (name.length() > Names.MAX_DEPLOYMENT_NAME) {
            throw new InvalidSpecException(List.of("metadata.name: at most " + Names.MAX_DEPLOYMENT_NAME
                    + " characters (StatefulSets add -g<group>-<revision>), got " + name.length()));
        }
        return resolve(moe.getSpec(), config);
    }

    /** @throws InvalidSpecException listing every problem, each naming its field */
    public static ResolvedSpec resolve(MoEDeploymentSpec spec, OperatorConfig config) throws InvalidSpecException {
        List<String> problems = new ArrayList<>();
        if (spec == null) throw new InvalidSpecException(List.of("spec: is required"));
        ModelSpec modelSpec = spec.model() == null ? new ModelSpec(null, null, null, null, null) : spec.model();
        ModelUri model = null;
        try {
            model = ModelUri.parse(modelSpec.uri());
        } catch (IllegalArgumentException e) {
            problems.add("spec.model.uri: " + e.getMessage());
        }
        RuntimeCapabilities runtime = config.runtime();
        // Null: the runtime detects it from what is there (a GGUF file, or a Hugging Face checkpoint).
        String format = modelSpec.format();
        if (format == null) {
            // nothing to check
        } else if (!FORMATS.contains(format)) {
            problems.add("spec.model.format: '" + format + "' is not one of " + FORMATS);
        } else if (!runtime.formats().contains(format)) {
            problems.add("spec.model.format: " + format + " is not served by runtime " + runtime.version() + " (it serves "
                    + String.join(", ", new java.util.TreeSet<>(runtime.formats())) + "); convert the checkpoint to GGUF "
                    + "(llama.cpp's convert_hf_to_gguf.py) or use a GGUF repository with spec.model.file");
        }
        if (modelSpec.file() != null && !(model instanceof ModelUri.HuggingFace)) {
            problems.add("spec.model.file: only applies to hf:// models (the URI names the file otherwise)");
        }
        if (model instanceof ModelUri.HuggingFace && modelSpec.file() == null && !runtime.repositoryWithoutFile()
                && (format == null || runtime.formats().contains(format))) {
            problems.add("spec.model.file: required for hf:// models: runtime " + runtime.version()
                    + " serves one GGUF file of the repository (e.g. file: model-Q8_0.gguf)");
        }
        Integer experts = modelSpec.experts();
        if (model instanceof ModelUri.Synthetic synthetic) {
            if (experts != null && experts != synthetic.experts()) {
                problems.add("spec.model.experts: " + experts + " disagrees with the URI's experts=" + synthetic.experts());
            }
            experts = synthetic.experts();
        }
        if (experts != null && experts < 1) problems.add("spec.model.experts: must be at least 1, got " + experts);

        int replicas = Objects.requireNonNullElse(spec.replicas(), 1);
        if (replicas < 0) problems.add("spec.replicas: must not be negative, got " + replicas);
        int ep = Objects.requireNonNullElse(spec.expertParallelism(), 1);
        ExpertSharding sharding = Objects.requireNonNullElse(spec.expertSharding(), ExpertSharding.Even);
        ShardPlan plan = null;
        if (ep < 1) {
            problems.add("spec.expertParallelism: must be at least 1, got " + ep);
        } else if (experts != null && experts >= 1 && ep > experts) {
            problems.add("spec.expertParallelism: " + ep + " pods cannot share " + experts + " routed experts (at most " + experts + ")");
        } else if (experts != null && experts >= 1 && sharding == ExpertSharding.Even && experts % ep != 0) {
            problems.add("spec.expertParallelism: " + ep + " does not divide the " + experts
                    + " routed experts; choose a divisor or set spec.expertSharding: Uneven");
        } else if (experts == null || experts >= 1) {
            plan = new ShardPlan(experts, ep);
        }

        UpdateStrategySpec.Type updateStrategy = spec.updateStrategy() == null || spec.updateStrategy().type() == null
                ? UpdateStrategySpec.Type.Surge : spec.updateStrategy().type();
        Device device = Objects.requireNonNullElse(spec.device(), Device.CPU);
        if (!runtime.devices().contains(device)) {
            problems.add("spec.device: " + device.wireName() + " is not served by runtime " + runtime.version()
                    + " (it computes on " + runtime.devices().stream().map(Device::wireName).sorted().toList()
                    + "); the CUDA backend is not released yet: use device: cpu");
        }
        ResourcesSpec resources = Objects.requireNonNullElse(spec.resources(), new ResourcesSpec(null, null, null));
        int gpus = Objects.requireNonNullElse(resources.gpus(), device == Device.CUDA ? 1 : 0);
        if (gpus < 0) problems.add("spec.resources.gpus: must not be negative, got " + gpus);
        if (device == Device.CPU && gpus > 0) problems.add("spec.resources.gpus: " + gpus + " GPUs requested but spec.device is cpu; set device: cuda");
        if (device == Device.CUDA && gpus == 0) problems.add("spec.resources.gpus: must be at least 1 when spec.device is cuda");
        String cpu = Objects.requireNonNullElse(resources.cpu(), DEFAULT_CPU);
        String memory = Objects.requireNonNullElse(resources.memory(), DEFAULT_MEMORY);
        checkQuantity(problems, "spec.resources.cpu", cpu);
        Long memoryBytes = checkQuantity(problems, "spec.resources.memory", memory);

        ServingSpec serving = Objects.requireNonNullElse(spec.serving(), new ServingSpec(null, null, null, null, null, null));
        if (memoryBytes != null && PodMemory.forModelAndCache(memoryBytes) <= 0) {
            problems.add("spec.resources.memory: " + memory + " leaves nothing for the model and its KV cache after the runtime's "
                    + "heap (" + PodMemory.mib(PodMemory.heap(memoryBytes)) + ") and JVM overhead ("
                    + PodMemory.mib(PodMemory.overhead(memoryBytes)) + "); give each pod more (docs/memory.md)");
        }
        Long kvCacheBytes = null;
        if (serving.kvCacheMemory() != null) {
            kvCacheBytes = checkQuantity(problems, "spec.serving.kvCacheMemory", serving.kvCacheMemory());
            if (kvCacheBytes != null && memoryBytes != null && kvCacheBytes >= PodMemory.forModelAndCache(memoryBytes)) {
                problems.add("spec.serving.kvCacheMemory: " + serving.kvCacheMemory() + " does not fit in resources.memory "
                        + memory + ", which leaves " + PodMemory.mib(Math.max(0, PodMemory.forModelAndCache(memoryBytes)))
                        + " for the model's weights and the KV cache after the runtime's heap ("
                        + PodMemory.mib(PodMemory.heap(memoryBytes)) + ") and JVM overhead ("
                        + PodMemory.mib(PodMemory.overhead(memoryBytes)) + "); docs/memory.md");
            }
        }
        int port = Objects.requireNonNullElse(serving.port(), DEFAULT_PORT);
        if (port < 1 || port > 65535) problems.add("spec.serving.port: must be in 1..65535, got " + port);
        if (port == config.expertPort()) problems.add("spec.serving.port: " + port + " is the expert-exchange port; choose another");
        positiveOrNull(problems, "spec.serving.maxNumSeqs", serving.maxNumSeqs());
        positiveOrNull(problems, "spec.serving.contextLength", serving.contextLength());
        positiveOrNull(problems, "spec.serving.threads", serving.threads());
        int startup = Objects.requireNonNullElse(serving.startupTimeoutSeconds(), DEFAULT_STARTUP_TIMEOUT_SECONDS);
        if (startup < 10) problems.add("spec.serving.startupTimeoutSeconds: must be at least 10, got " + startup);

        String pullPolicy = spec.imagePullPolicy();
        if (pullPolicy != null && !PULL_POLICIES.contains(pullPolicy)) {
            problems.add("spec.imagePullPolicy: '" + pullPolicy + "' is not one of " + PULL_POLICIES);
        }
        String image = spec.image() != null ? spec.image() : device == Device.CUDA ? config.cudaRuntimeImage() : config.runtimeImage();
        if (image.isBlank()) problems.add("spec.image: must not be blank");

        SchedulingSpec scheduling = Objects.requireNonNullElse(spec.scheduling(), new SchedulingSpec(null, null, null, null, null));
        ModelCacheSpec cache = spec.modelCache();
        if (cache != null) {
            long set = java.util.stream.Stream.of(cache.persistentVolumeClaim(), cache.emptyDir(), cache.hostPath()).filter(Objects::nonNull).count();
            if (set > 1) problems.add("spec.modelCache: set at most one of persistentVolumeClaim, emptyDir, hostPath");
            if (cache.persistentVolumeClaim() != null && isBlank(cache.persistentVolumeClaim().getClaimName())) {
                problems.add("spec.modelCache.persistentVolumeClaim.claimName: is required");
            }
            if (cache.hostPath() != null && (isBlank(cache.hostPath().getPath()) || !cache.hostPath().getPath().startsWith("/"))) {
                problems.add("spec.modelCache.hostPath.path: must be an absolute path");
            }
        }
        List<EnvVar> env = Objects.requireNonNullElse(spec.env(), List.of());
        for (int i = 0; i < env.size(); i++) {
            String name = env.get(i).getName();
            if (isBlank(name)) problems.add("spec.env[" + i + "].name: is required");
            else if (name.startsWith("MOE_EP_")) problems.add("spec.env[" + i + "].name: " + name + " is set by the operator");
        }
        if (spec.hfTokenSecret() != null && (isBlank(spec.hfTokenSecret().getName()) || isBlank(spec.hfTokenSecret().getKey()))) {
            problems.add("spec.hfTokenSecret: needs both name and key");
        }
        ResolvedAutoscaling autoscaling = ResolvedAutoscaling.resolve(spec.autoscaling(), config.prometheusUrl(), problems);
        if (!problems.isEmpty()) throw new InvalidSpecException(problems);

        String served = modelSpec.servedModelName() != null ? modelSpec.servedModelName() : model.displayName();
        return new ResolvedSpec(modelSpec.uri(), model, format, modelSpec.file(), served, replicas, ep, plan, updateStrategy,
                device, image, pullPolicy, gpus, cpu, memory, port, serving.maxNumSeqs(), serving.contextLength(), kvCacheBytes,
                serving.threads(), startup,
                Objects.requireNonNullElse(scheduling.nodeSelector(), Map.of()),
                Objects.requireNonNullElse(scheduling.tolerations(), List.of()), scheduling.affinity(),
                Objects.requireNonNullElse(scheduling.groupSpread(), GroupSpread.Preferred), scheduling.priorityClassName(),
                cache, env, Objects.requireNonNullElse(spec.imagePullSecrets(), List.of()), spec.hfTokenSecret(), autoscaling);
    }

    /** The quantity in bytes (rounded down), or null after adding the problem. */
    private static Long checkQuantity(List<String> problems, String field, String value) {
        try {
            java.math.BigDecimal amount = Quantity.getAmountInBytes(new Quantity(value));
            if (amount.signum() <= 0) {
                problems.add(field + ": must be positive, got '" + value + "'");
                return null;
            }
            return amount.longValue();
        } catch (RuntimeException e) {
            problems.add(field + ": '" + value + "' is not a quantity such as 2, 500m, 8Gi");
            return null;
        }
    }

    private static void positiveOrNull(List<String> problems, String field, Integer value) {
        if (value != null && value < 1) problems.add(field + ": must be at least 1, got " + value);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
