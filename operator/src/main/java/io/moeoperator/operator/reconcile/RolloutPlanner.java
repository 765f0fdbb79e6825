package io.moeoperator.operator.reconcile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Decides, from plain observations, which groups to create, update and delete in one reconcile so
 * that serving capacity never drops by more than one group:
 * <ul>
 *   <li>groups at or above the desired count are removed, highest index first;</li>
 *   <li>missing groups below it are created on the current template (new capacity costs nothing);</li>
 *   <li>outdated groups that are not ready are updated at once (they serve nothing now);</li>
 *   <li>otherwise one ready outdated group, the lowest index, is updated, and only when no other
 *       group is on its way up; the next one waits until that group is ready again.</li>
 * </ul>
 */
public final class RolloutPlanner {

    public record Step(List<Integer> create, List<Integer> update, List<Integer> delete, List<Integer> waiting) {
        public boolean isIdle() {
            return create.isEmpty() && update.isEmpty() && delete.isEmpty() && waiting.isEmpty();
        }
    }

    private RolloutPlanner() {}

    /** @param desiredTemplateHash the hash of the pod template group i should run (templates differ per group) */
    public static Step plan(int desiredGroups, Map<Integer, GroupState> existing, IntFunction<String> desiredTemplateHash) {
        List<Integer> delete = existing.keySet().stream().filter(i -> i >= desiredGroups)
                .sorted(Comparator.reverseOrder()).toList();
        List<Integer> create = new ArrayList<>();
        List<Integer> update = new ArrayList<>();
        List<Integer> outdatedReady = new ArrayList<>();
        boolean groupStarting = false;
        for (int i = 0; i < desiredGroups; i++) {
            GroupState group = existing.get(i);
            if (group == null) {
                create.add(i);
                groupStarting = true;
            } else if (!Objects.equals(group.templateHash(), desiredTemplateHash.apply(i))) {
                if (group.ready()) outdatedReady.add(i);
                else update.add(i);
            } else if (!group.ready()) {
                groupStarting = true;
            }
        }
        List<Integer> waiting = new ArrayList<>(outdatedReady);
        if (!groupStarting && update.isEmpty() && !outdatedReady.isEmpty()) {
            update.add(waiting.removeFirst());
        }
        return new Step(List.copyOf(create), List.copyOf(update), delete, List.copyOf(waiting));
    }
}
