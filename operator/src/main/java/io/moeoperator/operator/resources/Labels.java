package io.moeoperator.operator.resources;

import io.moeoperator.operator.api.MoEDeployment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Label keys and the label sets of everything a MoEDeployment owns. */
public final class Labels {
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String DEPLOYMENT = MoEDeployment.GROUP + "/deployment";
    public static final String GROUP = MoEDeployment.GROUP + "/group";
    public static final String OPERATOR = "moe-operator";

    /** Annotation holding the hash of what the operator last wrote, to skip writes that change nothing. */
    public static final String DESIRED_HASH = MoEDeployment.GROUP + "/desired-hash";
    /** Annotation on a group's StatefulSet: hash of the pod template it runs (the rollout compares it). */
    public static final String TEMPLATE_HASH = MoEDeployment.GROUP + "/template-hash";

    private Labels() {}

    /** On every object the deployment owns. */
    public static Map<String, String> common(MoEDeployment moe) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, "moe-runtime");
        labels.put(INSTANCE, moe.getMetadata().getName());
        labels.put(MANAGED_BY, OPERATOR);
        labels.put(DEPLOYMENT, moe.getMetadata().getName());
        return labels;
    }

    /** Selects every serving pod of the deployment (client Service, PDB, scale subresource). */
    public static Map<String, String> servingSelector(MoEDeployment moe) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DEPLOYMENT, moe.getMetadata().getName());
        labels.put(COMPONENT, "serving");
        return labels;
    }

    /** Selects the pods of one serving group. */
    public static Map<String, String> groupSelector(MoEDeployment moe, int group) {
        Map<String, String> labels = servingSelector(moe);
        labels.put(GROUP, String.valueOf(group));
        return labels;
    }

    public static Map<String, String> pod(MoEDeployment moe, int group) {
        Map<String, String> labels = common(moe);
        labels.putAll(groupSelector(moe, group));
        return labels;
    }

    public static String selectorString(Map<String, String> selector) {
        return selector.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }
}
