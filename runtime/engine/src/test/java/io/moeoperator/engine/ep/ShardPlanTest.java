package io.moeoperator.engine.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardPlanTest {

    @Test
    void contiguousSharesGiveTheFirstRanksOneMoreWhenUneven() {
        ShardPlan p = ShardPlan.contiguous(4, 10);
        assertArrayEquals(new int[] {0, 1, 2}, p.held().get(0));
        assertArrayEquals(new int[] {3, 4, 5}, p.held().get(1));
        assertArrayEquals(new int[] {6, 7}, p.held().get(2));
        assertArrayEquals(new int[] {8, 9}, p.held().get(3));
        assertEquals("6-7", p.describe(2));
        assertEquals(2, p.rankFor(7, 0));
        assertEquals(0, p.rankFor(0, 3));
    }

    @Test
    void parsesRangesSingleIdsAndExtraCopies() {
        ShardPlan p = ShardPlan.parse("0-3+7, 4-6+0+2-3,7", 3, 8);
        assertArrayEquals(new int[] {0, 1, 2, 3, 7}, p.held().get(0));
        assertArrayEquals(new int[] {0, 1, 2, 3}, p.primary().get(0));
        assertArrayEquals(new int[] {0, 2, 3, 4, 5, 6}, p.held().get(1));
        assertArrayEquals(new int[] {7}, p.held().get(2));
        assertEquals(0, p.rankFor(7, 0), "a rank computes the experts it holds a copy of itself");
        assertEquals(2, p.rankFor(7, 1), "others go to the primary owner");
        assertEquals(1, p.rankFor(2, 1));
        assertEquals(0, p.rankFor(1, 1));
        assertTrue(p.holds(1, 0));
        assertFalse(p.holds(2, 0));
        assertEquals("0-3+7", p.describe(0));
        assertEquals("4-6+0+2-3", p.describe(1));
    }

    @Test
    void errorsNameTheFlagAndWhatIsWrong() {
        assertEquals("--ep-experts '0-3' has 1 entries but --ep-size is 2: give one expert range per rank, e.g. 0-3,4-7",
                assertThrows(IllegalArgumentException.class, () -> ShardPlan.checkSyntax("0-3", 2)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.checkSyntax("0-3,x", 2))
                .getMessage().contains("rank 1's entry has 'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.checkSyntax("3-1,4", 2))
                .getMessage().contains("'3-1'"));
        assertEquals("--ep-experts: expert 3 is in the shares of ranks 0 and 1; list extra copies after '+' (e.g. 0-3+7)",
                assertThrows(IllegalArgumentException.class, () -> ShardPlan.parse("0-3,3-7", 2, 8)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.parse("0-2,4-7", 2, 8))
                .getMessage().startsWith("--ep-experts: expert 3 is in no rank's share"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.parse("0-3,4-8", 2, 8))
                .getMessage().contains("lists expert 8 but the model has 8 routed experts"));
        assertThrows(IllegalArgumentException.class, () -> ShardPlan.checkSyntax("", 1));
    }
}
