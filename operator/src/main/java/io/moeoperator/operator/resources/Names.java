package io.moeoperator.operator.resources;

import io.moeoperator.operator.api.MoEDeployment;

/** Names of the objects a MoEDeployment owns; group g's pods are {@code <name>-g<g>-<rank>}. */
public final class Names {
    /** Longest deployment name for which every child name stays a valid DNS label (pods: name-gNN-NNN). */
    public static final int MAX_DEPLOYMENT_NAME = 45;

    private Names() {}

    public static String group(MoEDeployment moe, int group) {
        return moe.getMetadata().getName() + "-g" + group;
    }

    public static String peers(MoEDeployment moe, int group) {
        return group(moe, group) + "-peers";
    }

    public static String clientService(MoEDeployment moe) {
        return moe.getMetadata().getName();
    }

    public static String configMap(MoEDeployment moe) {
        return moe.getMetadata().getName() + "-runtime";
    }

    /** Secret holding the shared key the ranks of every group authenticate each other with. */
    public static String expertSecret(MoEDeployment moe) {
        return moe.getMetadata().getName() + "-ep";
    }

    /** The group index of a StatefulSet or peer Service this deployment owns, or -1. */
    public static int groupIndexOf(MoEDeployment moe, String childName) {
        String prefix = moe.getMetadata().getName() + "-g";
        if (!childName.startsWith(prefix)) return -1;
        String rest = childName.substring(prefix.length());
        if (rest.endsWith("-peers")) rest = rest.substring(0, rest.length() - "-peers".length());
        try {
            return Integer.parseInt(rest);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** DNS name of rank r of a group, as its peers dial it. */
    public static String peerHost(MoEDeployment moe, int group, int rank) {
        return group(moe, group) + "-" + rank + "." + peers(moe, group) + "." + moe.getMetadata().getNamespace() + ".svc";
    }
}
