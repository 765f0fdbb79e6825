package io.moeoperator.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {
    static final String NEW = "new", OLD = "old";

    static Map<Integer, GroupState> groups(Object... hashAndReady) {
        Map<Integer, GroupState> groups = new HashMap<>();
        for (int i = 0; i < hashAndReady.length; i += 2) {
            groups.put(i / 2, new GroupState(i / 2, (String) hashAndReady[i], (Boolean) hashAndReady[i + 1]));
        }
        return groups;
    }

    static RolloutPlanner.Step plan(int desired, Map<Integer, GroupState> groups) {
        return RolloutPlanner.plan(desired, groups, i -> NEW);
    }

    @Test
    void createsMissingGroupsAtOnce() {
        var step = plan(3, groups());
        assertEquals(List.of(0, 1, 2), step.create());
        assertTrue(step.update().isEmpty() && step.delete().isEmpty());
    }

    @Test
    void removesExcessGroupsHighestFirst() {
        var step = plan(1, groups(NEW, true, NEW, true, NEW, false));
        assertEquals(List.of(2, 1), step.delete());
    }

    @Test
    void updatesOneReadyGroupAtATime() {
        var step = plan(3, groups(OLD, true, OLD, true, OLD, true));
        assertEquals(List.of(0), step.update());
        assertEquals(List.of(1, 2), step.waiting());
    }

    @Test
    void waitsWhileTheUpdatedGroupComesBack() {
        var step = plan(3, groups(NEW, false, OLD, true, OLD, true));
        assertTrue(step.update().isEmpty());
        assertEquals(List.of(1, 2), step.waiting());
        var next = plan(3, groups(NEW, true, OLD, true, OLD, true));
        assertEquals(List.of(1), next.update());
    }

    @Test
    void groupsThatServeNothingAreUpdatedAtOnce() {
        // A bad image left groups 0 and 1 crash-looping; the fix reaches both without waiting.
        var step = plan(3, groups(OLD, false, OLD, false, OLD, true));
        assertEquals(List.of(0, 1), step.update());
        assertEquals(List.of(2), step.waiting());
    }

    @Test
    void aStartingGroupHoldsTheRollout() {
        var step = plan(3, groups(OLD, true, OLD, true));
        assertEquals(List.of(2), step.create());
        assertTrue(step.update().isEmpty(), "new capacity first");
    }

    @Test
    void steadyStateIsIdle() {
        assertTrue(plan(2, groups(NEW, true, NEW, true)).isIdle());
        assertTrue(plan(0, groups()).isIdle());
    }

    /** Simulates whole rollouts: never more than one ready group is taken down at once. */
    @Test
    void capacityNeverDropsByMoreThanOneGroup() {
        for (int n = 1; n <= 6; n++) {
            Map<Integer, GroupState> state = new HashMap<>();
            for (int i = 0; i < n; i++) state.put(i, new GroupState(i, OLD, true));
            int rounds = 0;
            while (true) {
                var step = plan(n, state);
                if (step.isIdle()) break;
                long readyBefore = state.values().stream().filter(GroupState::ready).count();
                for (int i : step.update()) state.put(i, new GroupState(i, NEW, false));
                long readyAfter = state.values().stream().filter(GroupState::ready).count();
                assertTrue(readyBefore - readyAfter <= 1, "n=" + n + " dropped " + (readyBefore - readyAfter));
                // the kubelet brings updated groups back
                state.replaceAll((i, g) -> new GroupState(i, g.templateHash(), true));
                assertTrue(++rounds <= 2 * n + 1, "rollout of " + n + " groups did not finish");
            }
            assertTrue(state.values().stream().allMatch(g -> g.templateHash().equals(NEW) && g.ready()));
        }
    }
}
