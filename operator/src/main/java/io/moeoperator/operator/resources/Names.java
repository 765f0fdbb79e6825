package io.moeoperator.operator.resources;

import io.moeoperator.operator.api.MoEDeployment;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the objects a MoEDeployment owns. Revision {@code r} of group {@code g} is the
 * StatefulSet {@code <name>-g<g>-<r>} with pods {@code <name>-g<g>-<r>-<rank>}; every revision of a
 * group shares the peer Service {@code <name>-g<g>-peers}.
 */
public final class Names {
    /**
     * Longest deployment name for which every child name stays valid: a StatefulSet's name goes into
     * its pods' {@code controller-revision-hash} label (63 characters with a 10-character hash and a
     * dash), so it may have 52; {@code -g<group>-<revision>} adds up to 12 (groups below 1000).
     */
    public static final int MAX_DEPLOYMENT_NAME = 40;
    /** Hex digits of the pod-template hash that name a revision. */
    public static final int REVISION_LENGTH = 6;
    private static final Pattern GROUP_CHILD = Pattern.compile("(\\d+)(?:-([0-9a-f]{" + REVISION_LENGTH + "}))?");

    private Names() {}

    /** The StatefulSet of one revision of a group. */
    public static String group(MoEDeployment moe, int group, String revision) {
        return groupPrefix(moe, group) + "-" + revision;
    }

    public static String peers(MoEDeployment moe, int group) {
        return groupPrefix(moe, group) + "-peers";
    }

    public static String clientService(MoEDeployment moe) {
        return moe.getMetadata().getName();
    }

    /** The ConfigMap earlier versions mounted (shard-plan.json); nothing reads it, so it is removed. */
    public static String legacyConfigMap(MoEDeployment moe) {
        return moe.getMetadata().getName() + "-runtime";
    }

    /** Secret holding the shared key the ranks of every group authenticate each other with. */
    public static String expertSecret(MoEDeployment moe) {
        return moe.getMetadata().getName() + "-ep";
    }

    /**
     * The group a StatefulSet of this deployment belongs to, or -1: {@code <name>-g<g>-<revision>},
     * or {@code <name>-g<g>} as operator 0.1.0 named them (a revision of its own, replaced like any other).
     */
    public static int groupIndexOf(MoEDeployment moe, String statefulSetName) {
        Matcher m = groupChild(moe, statefulSetName);
        return m == null ? -1 : Integer.parseInt(m.group(1));
    }

    /** The group whose peer Service this is, or -1. */
    public static int peersGroupIndexOf(MoEDeployment moe, String serviceName) {
        if (!serviceName.endsWith("-peers")) return -1;
        Matcher m = groupChild(moe, serviceName.substring(0, serviceName.length() - "-peers".length()));
        return m == null || m.group(2) != null ? -1 : Integer.parseInt(m.group(1));
    }

    /** DNS name of rank r of a group's revision, as its peers dial it. */
    public static String peerHost(MoEDeployment moe, int group, String revision, int rank) {
        return group(moe, group, revision) + "-" + rank + "." + peers(moe, group) + "." + moe.getMetadata().getNamespace() + ".svc";
    }

    private static String groupPrefix(MoEDeployment moe, int group) {
        return moe.getMetadata().getName() + "-g" + group;
    }

    private static Matcher groupChild(MoEDeployment moe, String childName) {
        String prefix = moe.getMetadata().getName() + "-g";
        if (!childName.startsWith(prefix)) return null;
        Matcher m = GROUP_CHILD.matcher(childName.substring(prefix.length()));
        if (!m.matches() || m.group(1).length() > 4) return null;
        return m;
    }
}
