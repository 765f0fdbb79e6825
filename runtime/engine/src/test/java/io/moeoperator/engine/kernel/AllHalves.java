package io.moeoperator.engine.kernel;

import java.util.function.Function;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/** Runs an in-register 16-bit -> float widening over all 65,536 bit patterns, a vector at a time. */
final class AllHalves {
    /** Checks one 16-bit pattern against what the widening made of it. */
    @FunctionalInterface
    interface Check {
        void accept(short bits, float widened);
    }

    private AllHalves() {}

    static void forEach(Function<ShortVector, FloatVector> widen, Check check) {
        int lanes = FloatRowDots.H.length();
        short[] halves = new short[lanes];
        float[] floats = new float[lanes];
        for (int base = 0; base < 1 << 16; base += lanes) {
            for (int j = 0; j < lanes; j++) {
                halves[j] = (short) (base + j);
            }
            widen.apply(ShortVector.fromArray(FloatRowDots.H, halves, 0)).intoArray(floats, 0);
            for (int j = 0; j < lanes; j++) {
                check.accept(halves[j], floats[j]);
            }
        }
    }
}
