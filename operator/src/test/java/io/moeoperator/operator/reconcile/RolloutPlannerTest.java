package io.moeoperator.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.operator.api.UpdateStrategySpec.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {
    static final String NEW = "aaaaaa", OLD = "bbbbbb";

    static GroupState group(int index, String revision, boolean ready) {
        return new GroupState(index, revision, "x-g" + index + "-" + revision, ready, Instant.EPOCH);
    }

    /** One revision per group: revision, ready, revision, ready, ... for groups 0, 1, ... */
    static Map<Integer, List<GroupState>> groups(Object... revisionAndReady) {
        Map<Integer, List<GroupState>> groups = new TreeMap<>();
        for (int i = 0; i < revisionAndReady.length; i += 2) {
            groups.computeIfAbsent(i / 2, k -> new ArrayList<>())
                    .add(group(i / 2, (String) revisionAndReady[i], (Boolean) revisionAndReady[i + 1]));
        }
        return groups;
    }

    static RolloutPlanner.Step plan(int desired, Map<Integer, List<GroupState>> groups) {
        return RolloutPlanner.plan(desired, Type.Surge, groups, NEW);
    }

    @Test
    void createsMissingGroupsAtOnce() {
        var step = plan(3, groups());
        assertEquals(List.of(0, 1, 2), step.create());
        assertTrue(step.replace().isEmpty() && step.delete().isEmpty());
    }

    @Test
    void removesExcessGroupsHighestFirstWithEveryRevision() {
        Map<Integer, List<GroupState>> groups = groups(NEW, true, NEW, true, NEW, false);
        groups.get(2).add(group(2, OLD, true));
        var step = plan(1, groups);
        assertEquals(List.of(2, 1), step.removed());
        assertEquals(List.of("x-g2-" + NEW, "x-g2-" + OLD, "x-g1-" + NEW), step.delete());
    }

    @Test
    void surgeStartsTheNewRevisionBesideTheOldOneGroupAtATime() {
        var step = plan(3, groups(OLD, true, OLD, true, OLD, true));
        assertEquals(List.of(0), step.replace());
        assertTrue(step.delete().isEmpty(), "the old revision serves until the new one is ready");
        assertEquals(List.of(1, 2), step.waiting());
    }

    @Test
    void recreateStopsTheOldRevisionFirst() {
        var step = RolloutPlanner.plan(2, Type.Recreate, groups(OLD, true, OLD, true), NEW);
        assertEquals(List.of(0), step.replace());
        assertEquals(List.of("x-g0-" + OLD), step.delete());
        assertEquals(List.of(1), step.waiting());
    }

    @Test
    void theOldRevisionGoesOnceTheNewOneIsReady() {
        Map<Integer, List<GroupState>> groups = groups(OLD, true, OLD, true);
        groups.get(0).add(group(0, NEW, false));
        var step = plan(2, groups);
        assertTrue(step.delete().isEmpty() && step.replace().isEmpty());
        assertEquals(List.of(1), step.waiting());
        groups.get(0).set(1, group(0, NEW, true));
        var next = plan(2, groups);
        assertEquals(List.of("x-g0-" + OLD), next.delete());
        assertEquals(List.of(0), next.replaced());
        assertEquals(List.of(1), next.replace(), "group 0 serves on the new revision: group 1's turn");
    }

    @Test
    void revisionsThatServeNothingAreReplacedAtOnce() {
        // A bad image left groups 0 and 1 crash-looping; the fix reaches both without waiting.
        var step = plan(3, groups(OLD, false, OLD, false, OLD, true));
        assertEquals(List.of(0, 1), step.replace());
        assertEquals(List.of("x-g0-" + OLD, "x-g1-" + OLD), step.delete());
        assertEquals(List.of(2), step.waiting());
    }

    @Test
    void aRevisionOvertakenBeforeItServedIsDropped() {
        // Group 0 was surging to OLD2 when the spec changed again to NEW: OLD2 will never be wanted.
        Map<Integer, List<GroupState>> groups = groups(OLD, true);
        groups.get(0).add(group(0, "cccccc", false));
        var step = plan(1, groups);
        assertEquals(List.of("x-g0-cccccc"), step.delete());
        assertEquals(List.of(0), step.replace());
    }

    @Test
    void aStartingGroupHoldsTheRollout() {
        var step = plan(3, groups(OLD, true, OLD, true));
        assertEquals(List.of(2), step.create());
        assertTrue(step.replace().isEmpty(), "new capacity first");
    }

    @Test
    void legacyGroupsWithoutARevisionAreReplacedLikeAnyOther() {
        var step = plan(1, groups(null, true));
        assertEquals(List.of(0), step.replace());
    }

    @Test
    void steadyStateIsIdle() {
        assertTrue(plan(2, groups(NEW, true, NEW, true)).isIdle());
        assertTrue(plan(0, groups()).isIdle());
    }

    /**
     * Whole rollouts, simulated with the StatefulSet controller and kubelet acting between steps:
     * no StatefulSet ever mixes revisions (each is one revision by construction), Surge never drops
     * serving capacity and never runs more than one extra group, Recreate drops at most one group.
     */
    @Test
    void wholeRolloutsKeepCapacity() {
        for (Type strategy : Type.values()) {
            for (int n = 1; n <= 6; n++) {
                Map<Integer, List<GroupState>> state = groups();
                for (int i = 0; i < n; i++) state.put(i, new ArrayList<>(List.of(group(i, OLD, true))));
                int rounds = 0;
                while (true) {
                    var step = RolloutPlanner.plan(n, strategy, state, NEW);
                    if (step.isIdle()) break;
                    long servingBefore = serving(state);
                    state.values().forEach(revisions -> revisions.removeIf(g -> step.delete().contains(g.name())));
                    for (int i : step.replace()) state.get(i).add(group(i, NEW, false));
                    long servingAfter = serving(state);
                    long statefulSets = state.values().stream().mapToLong(List::size).sum();
                    if (strategy == Type.Surge) {
                        assertTrue(servingAfter >= servingBefore, strategy + " n=" + n + " dropped capacity");
                        assertTrue(statefulSets <= n + 1, strategy + " n=" + n + " runs " + statefulSets + " groups");
                    } else {
                        assertTrue(servingBefore - servingAfter <= 1, strategy + " n=" + n + " dropped " + (servingBefore - servingAfter));
                        assertTrue(statefulSets <= n, strategy + " n=" + n + " runs " + statefulSets + " groups");
                    }
                    // the kubelet brings the new revisions up
                    state.values().forEach(revisions -> revisions.replaceAll(g -> group(g.index(), g.revision(), true)));
                    assertTrue(++rounds <= 2 * n + 2, "rollout of " + n + " groups did not finish");
                }
                assertEquals(n, state.size());
                assertTrue(state.values().stream().allMatch(r -> r.size() == 1 && r.getFirst().revision().equals(NEW)),
                        state.values().stream().flatMap(List::stream).map(GroupState::name).collect(Collectors.joining(",")));
            }
        }
    }

    private static long serving(Map<Integer, List<GroupState>> state) {
        return state.values().stream().filter(r -> r.stream().anyMatch(GroupState::ready)).count();
    }
}
