package io.moeoperator.operator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moeoperator.operator.api.ShardAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardPlanTest {

    @Test
    void evenShardsAreContiguousRanges() {
        ShardPlan plan = new ShardPlan(64, 4);
        assertEquals(List.of(new ShardAssignment(0, "0-15", 16), new ShardAssignment(1, "16-31", 16),
                new ShardAssignment(2, "32-47", 16), new ShardAssignment(3, "48-63", 16)), plan.assignments());
        assertEquals("16", plan.expertsPerPod());
        assertEquals("0-15,16-31,32-47,48-63", plan.compact());
    }

    @Test
    void unevenShardsGiveTheFirstRanksOneMore() {
        ShardPlan plan = new ShardPlan(10, 4);
        assertEquals(List.of(3, 3, 2, 2), plan.assignments().stream().map(ShardAssignment::count).toList());
        assertEquals("0-2,3-5,6-7,8-9", plan.compact());
        assertEquals("2-3", plan.expertsPerPod());
    }

    @Test
    void everyExpertIsHeldByExactlyOneRank() {
        for (int experts = 1; experts <= 70; experts++) {
            for (int ranks = 1; ranks <= experts; ranks++) {
                ShardPlan plan = new ShardPlan(experts, ranks);
                int next = 0;
                for (int r = 0; r < ranks; r++) {
                    assertEquals(next, plan.firstExpert(r), experts + "/" + ranks);
                    next += plan.expertCount(r);
                    assertEquals(experts / ranks, plan.expertCount(r), 1.0, "balanced within one");
                }
                assertEquals(experts, next);
            }
        }
    }

    @Test
    void singleExpertRanksAndUnknownCounts() {
        assertEquals("3", new ShardPlan(4, 4).assignments().get(3).experts());
        ShardPlan unknown = new ShardPlan(null, 2);
        assertEquals(List.of(new ShardAssignment(0, "share 1/2", null), new ShardAssignment(1, "share 2/2", null)),
                unknown.assignments());
        assertEquals("1/2", unknown.expertsPerPod());
        assertEquals("all", new ShardPlan(null, 1).expertsPerPod());
    }

    @Test
    void moreRanksThanExpertsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ShardPlan(4, 5));
        assertThrows(IllegalArgumentException.class, () -> new ShardPlan(4, 0));
    }
}
