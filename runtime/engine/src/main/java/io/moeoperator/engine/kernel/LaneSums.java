package io.moeoperator.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order: halve, adding lane {@code i + n/2} to lane
 * {@code i}, until one lane is left. Both matmul paths end every dot product with it, so that a
 * (row, token) pair's sum does not depend on which kernel computed it.
 *
 * <p>Not {@code reduceLanes(ADD)}: its order is unspecified, and on JDK 25 it does differ between the
 * interpreter (lane by lane) and C2 (a tree): 33 of 1000 random 16-lane vectors summed differently,
 * so a row's result changed when its kernel got compiled. The halving order is plain lane-wise adds,
 * the same in every tier. On a vector of n lanes it visits the same additions as the last levels of
 * the fold of a vector of 2n lanes whose halves were added first; the 256-bit quant kernels rely on that.
 */
final class LaneSums {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> Q = QuantRowDots.F;
    // Rotations by 8, 4, 2 and 1 lanes (lane i then holds lane i + k), one field each: constant shuffles
    // compile to a few nodes, where loading them from an array cost enough to stop C2 inlining the sums
    // into the register tiles (and a vector passed to a call that is not inlined is boxed).
    private static final VectorShuffle<Float> F_ROT8 = rotation(F, 8);
    private static final VectorShuffle<Float> F_ROT4 = rotation(F, 4);
    private static final VectorShuffle<Float> F_ROT2 = rotation(F, 2);
    private static final VectorShuffle<Float> F_ROT1 = rotation(F, 1);
    private static final VectorShuffle<Float> Q_ROT4 = rotation(Q, 4);
    private static final VectorShuffle<Float> Q_ROT2 = rotation(Q, 2);
    private static final VectorShuffle<Float> Q_ROT1 = rotation(Q, 1);

    static {
        if (F.length() > 16) {
            throw new IllegalStateException("lane sums support up to 16 float lanes, preferred species is " + F);
        }
    }

    private LaneSums() {}

    /** The lanes of a vector of {@link FloatVector#SPECIES_PREFERRED}, summed in the halving order. */
    static float sum(FloatVector v) {
        // After adding its rotation by n/2, lane i < n/2 holds v[i] + v[i + n/2] and lane i + n/2 the same
        // sum (float addition commutes exactly), so the next level can rotate by n/4 over the whole vector.
        int n = F.length();
        if (n >= 16) {
            v = v.add(v.rearrange(F_ROT8));
        }
        if (n >= 8) {
            v = v.add(v.rearrange(F_ROT4));
        }
        if (n >= 4) {
            v = v.add(v.rearrange(F_ROT2));
        }
        return v.add(v.rearrange(F_ROT1)).lane(0);
    }

    /**
     * As {@link #sum}, for the lanes of a {@link FloatVector#SPECIES_PREFERRED} vector already stored in
     * {@code lanes} (overwritten), in plain scalar adds of the same order: for a kernel too large for C2
     * to inline a call taking a vector into, where the call would box the vector on every row.
     */
    static float sumStored(float[] lanes) {
        for (int half = F.length() / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[i] += lanes[i + half];
            }
        }
        return lanes[0];
    }

    /** As {@link #sum} for a vector of {@link QuantRowDots}' species (4 or 8 lanes). */
    static float sumQuant(FloatVector v) {
        if (Q.length() >= 8) {
            v = v.add(v.rearrange(Q_ROT4));
        }
        v = v.add(v.rearrange(Q_ROT2));
        return v.add(v.rearrange(Q_ROT1)).lane(0);
    }

    /** Lane i takes lane {@code i + k}, wrapping; the identity where the species has no k lanes. */
    private static VectorShuffle<Float> rotation(VectorSpecies<Float> species, int k) {
        return VectorShuffle.iota(species, k % species.length(), 1, true);
    }
}
