package io.moeoperator.operator.spec;

import io.moeoperator.operator.api.ShardAssignment;
import java.util.ArrayList;
import java.util.List;

/**
 * Which routed experts each rank of a serving group holds: contiguous ranges, the first
 * {@code experts % ranks} ranks holding one more when the count does not divide. The same plan holds
 * in every group, so rank r of any group can stand in for rank r of another.
 *
 * @param experts routed experts per layer, or null when the operator cannot know it (then the plan
 *                states each rank's share and the runtime resolves it when it loads the model)
 */
public record ShardPlan(Integer experts, int ranks) {

    public ShardPlan {
        if (ranks < 1) throw new IllegalArgumentException("ranks must be >= 1, got " + ranks);
        if (experts != null && experts < ranks) {
            throw new IllegalArgumentException(ranks + " ranks cannot share " + experts + " experts");
        }
    }

    /** First expert id rank {@code r} holds (known expert count only). */
    public int firstExpert(int r) {
        int base = experts / ranks, extra = experts % ranks;
        return r * base + Math.min(r, extra);
    }

    /** Number of experts rank {@code r} holds (known expert count only). */
    public int expertCount(int r) {
        return experts / ranks + (r < experts % ranks ? 1 : 0);
    }

    public List<ShardAssignment> assignments() {
        List<ShardAssignment> out = new ArrayList<>(ranks);
        for (int r = 0; r < ranks; r++) {
            if (experts == null) {
                out.add(new ShardAssignment(r, ranks == 1 ? "all" : "share " + (r + 1) + "/" + ranks, null));
            } else {
                int first = firstExpert(r), count = expertCount(r);
                out.add(new ShardAssignment(r, count == 1 ? String.valueOf(first) : first + "-" + (first + count - 1), count));
            }
        }
        return out;
    }

    /** For the Experts/Pod printer column: "16", "5-6" when uneven, "?" when unknown. */
    public String expertsPerPod() {
        if (experts == null) return ranks == 1 ? "all" : "1/" + ranks;
        int min = experts / ranks, max = min + (experts % ranks == 0 ? 0 : 1);
        return min == max ? String.valueOf(min) : min + "-" + max;
    }

    /** Rank-by-rank ranges as the runtime reads them: {@code 0-7,8-15}. */
    public String compact() {
        return String.join(",", assignments().stream().map(ShardAssignment::experts).toList());
    }
}
