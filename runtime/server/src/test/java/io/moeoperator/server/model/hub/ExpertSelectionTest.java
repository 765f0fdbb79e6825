package io.moeoperator.server.model.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import org.junit.jupiter.api.Test;

/** A rank's tensors by the shard plan, and the directory names that keep selections apart. */
class ExpertSelectionTest {
    static String expert(int layer, int e) {
        return SafetensorsWeightSource.tensorName(TensorRole.EXPERT_UP, layer, e, false);
    }

    @Test
    void aRankNeedsItsExpertsAndEveryTensorThatIsNoRoutedExperts() {
        ExpertSelection s = ExpertSelection.forRank(1, 4, null, 16);
        assertEquals("experts-4-7", s.dirName());
        assertEquals("routed experts 4-7 of 16 and every shared tensor", s.describe());
        assertTrue(s.needs(expert(3, 4)) && s.needs(expert(3, 7)));
        assertFalse(s.needs(expert(3, 3)) || s.needs(expert(3, 8)));
        assertTrue(s.needs(SafetensorsWeightSource.scaleName(expert(1, 5))));
        assertFalse(s.needs(SafetensorsWeightSource.scaleName(expert(1, 9))));
        for (TensorRole shared : new TensorRole[] {TensorRole.SHARED_UP, TensorRole.ROUTER, TensorRole.Q_A, TensorRole.TOKEN_EMBEDDING}) {
            assertTrue(s.needs(SafetensorsWeightSource.tensorName(shared, 2, 0, false)), shared.name());
        }
    }

    @Test
    void extraCopiesAreHeldAndNamedAndAWholeHoldingIsAll() {
        ExpertSelection s = ExpertSelection.forRank(0, 2, "0-3+7,4-7", 8);
        assertEquals("experts-0-3_7", s.dirName());
        assertEquals("routed experts 0-3,7 of 8 and every shared tensor", s.describe());
        assertTrue(s.needs(expert(1, 7)));
        assertFalse(s.needs(expert(1, 5)));
        assertSame(ExpertSelection.ALL, ExpertSelection.forRank(0, 2, "0-3+4-7,4-7", 8), "every expert: the whole repository");
        assertSame(ExpertSelection.ALL, ExpertSelection.forRank(0, 1, null, 8));
        assertEquals(ExpertSelection.forRank(1, 2, null, 8), ExpertSelection.forRank(1, 2, "0-3,4-7", 8), "same experts, same directory");
    }
}
