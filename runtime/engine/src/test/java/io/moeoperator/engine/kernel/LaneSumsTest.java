package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The scalar form of the lane sum adds in the vector form's order: bit for bit the same sums. */
class LaneSumsTest {

    @Test
    void storedLanesSumAsTheVector() {
        Random rnd = new Random(5);
        int n = FloatVector.SPECIES_PREFERRED.length();
        float[] lanes = new float[n];
        float[] scratch = new float[n];
        for (int round = 0; round < 100_000; round++) {
            for (int i = 0; i < n; i++) {
                // Magnitudes 2^-30..2^30 with both signs, so that the order of the adds shows in the result.
                lanes[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(61) - 30));
            }
            if (round % 1000 == 0) {
                lanes[rnd.nextInt(n)] = round % 3000 == 0 ? Float.NaN : -0f;
            }
            float expected = LaneSums.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0));
            System.arraycopy(lanes, 0, scratch, 0, n);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(LaneSums.sumStored(scratch)),
                    "round " + round);
        }
    }
}
