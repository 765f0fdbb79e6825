package io.moeoperator.operator.resources;

import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.Device;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ModelUri;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The runtime's command lines ({@code moe serve} and, for synthetic models, {@code moe synth}), the
 * contract between operator and runtime image (whose entrypoint is {@code moe}).
 */
public final class RuntimeCommand {
    public static final String CACHE_DIR = "/var/cache/moe";
    public static final String MODEL_PVC_DIR = "/models";
    /** Where the expert-parallel shared secret is mounted. */
    public static final String EP_SECRET_DIR = "/var/run/secrets/moe-operator/ep";
    public static final String EP_SECRET_KEY = "secret";
    public static final String SYNTHETIC_MODEL = CACHE_DIR + "/synthetic.gguf";
    /** Env var (downward API) holding the pod name; its ordinal suffix is the expert-parallel rank. */
    public static final String POD_NAME_ENV = "MOE_POD_NAME";
    /** Env var (downward API: limits.memory in bytes) the runtime sizes heap and KV cache from (docs/memory.md). */
    public static final String MEMORY_LIMIT_ENV = "MOE_MEMORY_LIMIT";

    private RuntimeCommand() {}

    /** Where the serving process finds the model file (or the hf:// URI it downloads). */
    public static String modelArgument(ResolvedSpec spec) {
        return switch (spec.model()) {
            case ModelUri.HuggingFace hf -> spec.modelUri();
            case ModelUri.Pvc pvc -> MODEL_PVC_DIR + "/" + pvc.path();
            case ModelUri.File file -> file.path();
            case ModelUri.Synthetic synthetic -> SYNTHETIC_MODEL;
        };
    }

    /**
     * The whole serving configuration, shard plan included, travels as flags: it is part of the pod
     * template, so any change to it makes a new revision and groups are replaced as units.
     */
    public static List<String> serve(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config, int group, String revision) {
        List<String> args = new ArrayList<>(List.of("serve",
                "--model", modelArgument(spec),
                "--host", "0.0.0.0",
                "--port", String.valueOf(spec.port()),
                "--served-model-name", spec.servedModelName(),
                // The autoscaler's and dashboards' queries select a deployment's series by these.
                "--metrics-labels", metricsLabels(moe, group)));
        if (spec.model() instanceof ModelUri.HuggingFace) {
            args.addAll(List.of("--model-cache", CACHE_DIR + "/huggingface"));
            if (spec.modelFile() != null) args.addAll(List.of("--model-file", spec.modelFile()));
        }
        // Without one the runtime detects the format from what it finds; given, it overrides that.
        if (spec.format() != null) args.addAll(List.of("--model-format", spec.format()));
        if (spec.device() != Device.CPU) args.addAll(List.of("--device", spec.device().wireName()));
        if (spec.maxNumSeqs() != null) args.addAll(List.of("--max-num-seqs", spec.maxNumSeqs().toString()));
        if (spec.contextLength() != null) args.addAll(List.of("--context-length", spec.contextLength().toString()));
        if (spec.kvCacheBytes() != null) args.addAll(List.of("--kv-cache-memory", spec.kvCacheBytes().toString()));
        if (spec.threads() != null) args.addAll(List.of("--threads", spec.threads().toString()));
        int ep = spec.expertParallelism();
        if (ep > 1) {
            List<String> peers = new ArrayList<>();
            for (int rank = 0; rank < ep; rank++) {
                peers.add(Names.peerHost(moe, group, revision, rank) + ":" + config.expertPort());
            }
            args.addAll(List.of(
                    "--ep-size", String.valueOf(ep),
                    // Kubernetes expands $(VAR) from the container's env: the pod name, whose ordinal is the rank.
                    "--ep-rank", "$(" + POD_NAME_ENV + ")",
                    "--ep-peers", String.join(",", peers),
                    "--ep-port", String.valueOf(config.expertPort()),
                    "--ep-secret-file", EP_SECRET_DIR + "/" + EP_SECRET_KEY));
            if (spec.shardPlan().experts() != null) args.addAll(List.of("--ep-experts", spec.shardPlan().compact()));
        }
        return args;
    }

    public static String metricsLabels(MoEDeployment moe, int group) {
        return "moe_namespace=" + moe.getMetadata().getNamespace() + ",moe_deployment=" + moe.getMetadata().getName()
                + ",moe_group=" + group;
    }

    /** {@code moe synth} for a synthetic:// model, or null. */
    public static List<String> synth(ResolvedSpec spec) {
        if (!(spec.model() instanceof ModelUri.Synthetic synthetic)) return null;
        List<String> args = new ArrayList<>(List.of("synth", "--out", SYNTHETIC_MODEL));
        for (Map.Entry<String, String> option : new java.util.TreeMap<>(synthetic.options()).entrySet()) {
            args.add("--" + option.getKey());
            if (!ModelUri.Synthetic.SWITCH_OPTIONS.contains(option.getKey())) args.add(option.getValue());
        }
        return args;
    }
}
