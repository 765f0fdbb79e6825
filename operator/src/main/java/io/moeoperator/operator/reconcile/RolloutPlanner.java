package io.moeoperator.operator.reconcile;

import io.moeoperator.operator.api.UpdateStrategySpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides, from plain observations, which groups to create and which StatefulSets to delete in one
 * reconcile. A group moves to a new revision as a unit, one group at a time:
 * <ul>
 *   <li>groups at or above the desired count are removed (every revision), highest index first;</li>
 *   <li>missing groups below it are created on the current revision (new capacity costs nothing);</li>
 *   <li>an outdated revision that serves nothing (not ready) is removed at once, and the current
 *       revision started in its place when the group has nothing else;</li>
 *   <li>otherwise one group with a serving outdated revision, the lowest index, gets the current
 *       revision, and only when no other group is on its way up: with {@code Surge} beside the old
 *       revision, which is removed once the new one is ready; with {@code Recreate} after removing
 *       it. The next group waits until that one is ready.</li>
 * </ul>
 * So no StatefulSet ever holds ranks of two revisions, and serving capacity drops by at most one
 * group (Recreate) or not at all (Surge).
 */
public final class RolloutPlanner {

    /**
     * @param create  groups that get their first StatefulSet (scale-up)
     * @param replace groups whose current revision starts now, replacing an outdated one
     * @param delete  StatefulSets to delete, by name
     * @param removed groups that disappear entirely (scale-down)
     * @param replaced groups whose current revision became ready, so their outdated one goes
     * @param waiting groups with an outdated, serving revision waiting for their turn
     */
    public record Step(List<Integer> create, List<Integer> replace, List<String> delete, List<Integer> removed,
                       List<Integer> replaced, List<Integer> waiting) {
        public boolean isIdle() {
            return create.isEmpty() && replace.isEmpty() && delete.isEmpty() && waiting.isEmpty();
        }
    }

    private RolloutPlanner() {}

    /**
     * @param existing every observed revision of every group, by group index
     * @param revision the revision the current spec runs
     */
    public static Step plan(int desiredGroups, UpdateStrategySpec.Type strategy, Map<Integer, List<GroupState>> existing,
                            String revision) {
        List<Integer> create = new ArrayList<>(), replace = new ArrayList<>(), removed = new ArrayList<>();
        List<Integer> replaced = new ArrayList<>(), outdatedServing = new ArrayList<>();
        List<String> delete = new ArrayList<>();
        existing.keySet().stream().filter(i -> i >= desiredGroups).sorted(Comparator.reverseOrder()).forEach(i -> {
            removed.add(i);
            existing.get(i).forEach(g -> delete.add(g.name()));
        });
        boolean groupStarting = false;
        for (int i = 0; i < desiredGroups; i++) {
            List<GroupState> revisions = existing.getOrDefault(i, List.of());
            GroupState current = revisions.stream().filter(g -> Objects.equals(g.revision(), revision)).findFirst().orElse(null);
            List<GroupState> outdated = revisions.stream().filter(g -> g != current).toList();
            if (revisions.isEmpty()) {
                create.add(i);
                groupStarting = true;
            } else if (current != null) {
                if (current.ready() && !outdated.isEmpty()) replaced.add(i);
                // Once the current revision serves, or while outdated ones serve nothing, they go.
                outdated.stream().filter(g -> current.ready() || !g.ready()).forEach(g -> delete.add(g.name()));
                if (!current.ready()) groupStarting = true;
            } else {
                outdated.stream().filter(g -> !g.ready()).forEach(g -> delete.add(g.name()));
                if (outdated.stream().anyMatch(GroupState::ready)) {
                    outdatedServing.add(i);
                } else {
                    replace.add(i); // nothing serves here: start the current revision at once
                }
            }
        }
        List<Integer> waiting = new ArrayList<>(outdatedServing);
        if (!groupStarting && replace.isEmpty() && !waiting.isEmpty()) {
            int next = waiting.removeFirst();
            replace.add(next);
            if (strategy == UpdateStrategySpec.Type.Recreate) {
                existing.get(next).stream().filter(GroupState::ready).forEach(g -> delete.add(g.name()));
            }
        }
        return new Step(List.copyOf(create), List.copyOf(replace), List.copyOf(delete), List.copyOf(removed),
                List.copyOf(replaced), List.copyOf(waiting));
    }
}
