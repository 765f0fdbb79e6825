package io.moeoperator.engine.model;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Cumulative tokens routed to each expert of each layer: the load signal for expert placement and
 * the per-expert metrics. One atomic add per expert per layer per step, read at scrape time.
 */
public final class ExpertLoad {
    private final AtomicLongArray[] counts; // per layer (numExperts)

    ExpertLoad(int numLayers, int numExperts) {
        counts = new AtomicLongArray[numLayers];
        for (int l = 0; l < numLayers; l++) {
            counts[l] = new AtomicLongArray(numExperts);
        }
    }

    void add(int layer, int[] tokensPerExpert) {
        for (int e = 0; e < tokensPerExpert.length; e++) {
            if (tokensPerExpert[e] != 0) {
                counts[layer].addAndGet(e, tokensPerExpert[e]);
            }
        }
    }

    /** (numLayers, numExperts) snapshot; layers without experts are all zero. */
    public long[][] snapshot() {
        long[][] out = new long[counts.length][];
        for (int l = 0; l < counts.length; l++) {
            out[l] = new long[counts[l].length()];
            for (int e = 0; e < out[l].length; e++) {
                out[l][e] = counts[l].get(e);
            }
        }
        return out;
    }
}
