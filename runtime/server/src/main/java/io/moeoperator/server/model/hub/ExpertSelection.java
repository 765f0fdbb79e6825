package io.moeoperator.server.model.hub;

import io.moeoperator.engine.ep.ShardPlan;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import java.util.Arrays;

/**
 * Which tensors a process needs: every one, or for an expert-parallel rank everything but the
 * routed experts other ranks hold (its plan's primary share and extra copies). Which tensor is
 * whose expert the engine's safetensors mapping says ({@link SafetensorsWeightSource#routedExpert}).
 *
 * @param heldExperts the routed experts this process holds, sorted; null for all of them
 * @param numExperts  the model's routed experts
 */
public record ExpertSelection(int[] heldExperts, int numExperts) {
    public static final ExpertSelection ALL = new ExpertSelection(null, 0);

    /** Rank {@code rank}'s selection in a group of {@code size} by {@code expertsSpec} (null: equal contiguous shares). */
    public static ExpertSelection forRank(int rank, int size, String expertsSpec, int numExperts) {
        if (size <= 1 || numExperts <= 0) {
            return ALL;
        }
        ShardPlan plan = expertsSpec == null ? ShardPlan.contiguous(size, numExperts) : ShardPlan.parse(expertsSpec, size, numExperts);
        int[] held = plan.held().get(rank);
        return held.length == numExperts ? ALL : new ExpertSelection(held.clone(), numExperts);
    }

    public boolean all() {
        return heldExperts == null;
    }

    public boolean needs(String tensorName) {
        if (all()) {
            return true;
        }
        int expert = SafetensorsWeightSource.routedExpert(tensorName);
        return expert < 0 || Arrays.binarySearch(heldExperts, expert) >= 0;
    }

    /**
     * The directory of this selection's files under the commit's: {@code experts-0-3_7} for experts
     * 0..3 and 7. Named by the experts, not the rank, so processes holding the same experts share it
     * and different selections on one cache volume never write the same file.
     */
    public String dirName() {
        return "experts-" + ranges("_");
    }

    /** {@code every tensor}, or {@code experts 0-3,7 of 8 (and every shared tensor)}. */
    public String describe() {
        return all() ? "every tensor" : "routed experts " + ranges(",") + " of " + numExperts + " and every shared tensor";
    }

    private String ranges(String separator) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < heldExperts.length; ) {
            int j = i;
            while (j + 1 < heldExperts.length && heldExperts[j + 1] == heldExperts[j] + 1) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : separator).append(heldExperts[i]).append(j > i ? "-" + heldExperts[j] : "");
            i = j + 1;
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpertSelection s && numExperts == s.numExperts && Arrays.equals(heldExperts, s.heldExperts);
    }

    @Override
    public int hashCode() {
        return 31 * numExperts + Arrays.hashCode(heldExperts);
    }

    @Override
    public String toString() {
        return describe();
    }
}
