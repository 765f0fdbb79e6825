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
    /** The pod-template revision a serving pod runs; the ranks of one StatefulSet share it. */
    public static final String REVISION = MoEDeployment.GROUP + "/revision";
    public static final String OPERATOR = "moe-operator";

    /** Annotation holding the hash of what the operator last wrote, to skip writes that change nothing. */
    public static final String DESIRED_HASH = MoEDeployment.GROUP + "/desired-hash";
    /** Annotation on a group's StatefulSet: how many ranks the group needs to serve (its ready count is compared to it). */
    public static final String RANKS = MoEDeployment.GROUP + "/ranks";
    /** Pod-template annotation: digest of the ranks' shared secret, so a new key is a new revision (groups roll onto it). */
    public static final String EP_SECRET_DIGEST = MoEDeployment.GROUP + "/ep-secret-digest";

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

    /** Selects the pods of every revision of one serving group (its peer Service: one DNS domain). */
    public static Map<String, String> groupSelector(MoEDeployment moe, int group) {
        Map<String, String> labels = servingSelector(moe);
        labels.put(GROUP, String.valueOf(group));
        return labels;
    }

    /** Selects the pods of one revision of one group: the ranks that talk to each other. */
    public static Map<String, String> revisionSelector(MoEDeployment moe, int group, String revision) {
        Map<String, String> labels = groupSelector(moe, group);
        labels.put(REVISION, revision);
        return labels;
    }

    /** Labels of a group's StatefulSet (no revision: they survive into the next one). */
    public static Map<String, String> group(MoEDeployment moe, int group) {
        Map<String, String> labels = common(moe);
        labels.putAll(groupSelector(moe, group));
        return labels;
    }

    public static Map<String, String> pod(MoEDeployment moe, int group, String revision) {
        Map<String, String> labels = common(moe);
        labels.putAll(revisionSelector(moe, group, revision));
        return labels;
    }

    public static String selectorString(Map<String, String> selector) {
        return selector.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }
}
