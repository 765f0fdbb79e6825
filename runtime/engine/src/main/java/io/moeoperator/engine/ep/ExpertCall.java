package io.moeoperator.engine.ep;

/**
 * One layer's rows for one destination rank: for each expert (ascending), {@code counts[i]} rows of
 * {@code hidden} floats, exactly the normalised hidden states the local path would feed the expert.
 *
 * @param x (sum(counts), hidden)
 */
public record ExpertCall(int layer, int[] experts, int[] counts, float[] x, int hidden) {
    public ExpertCall {
        if (experts.length != counts.length) {
            throw new IllegalArgumentException("experts (" + experts.length + ") and counts (" + counts.length
                    + ") differ in length");
        }
        long rows = 0;
        for (int c : counts) {
            if (c <= 0) {
                throw new IllegalArgumentException("every listed expert needs rows, got count " + c);
            }
            rows += c;
        }
        if (rows * hidden != x.length) {
            throw new IllegalArgumentException("x has " + x.length + " floats, expected " + rows + " rows of " + hidden);
        }
    }

    public int numRows() {
        return x.length / hidden;
    }
}
