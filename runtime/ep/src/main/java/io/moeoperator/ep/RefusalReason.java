package io.moeoperator.ep;

/**
 * Why a rank refused a peer's connection: the {@code reason} label of {@code
 * moe_ep_peer_refusals_total}. The first three are what {@link GroupFingerprint} binds; a peer
 * that cannot prove the group's secret is refused with {@link #SECRET}.
 */
public enum RefusalReason {
    VERSION("version", "version", "run the same moe version (image) on every rank of a group"),
    MODEL("model", "model", "every rank of a group must serve the same model file (a rollout replaces whole groups)"),
    SHARD_PLAN("shard_plan", "shard plan", "give every rank the same --ep-size and --ep-experts (or none)"),
    SECRET("secret", "secret", "give every rank the same --ep-secret-file");

    private final String label;
    private final String what;
    private final String remedy;

    RefusalReason(String label, String what, String remedy) {
        this.label = label;
        this.what = what;
        this.remedy = remedy;
    }

    /** The metric label and the {@code [reason=...]} of the log line. */
    public String label() {
        return label;
    }

    /** How a log line names the component. */
    String what() {
        return what;
    }

    /** What the user should do. */
    String remedy() {
        return remedy;
    }
}
