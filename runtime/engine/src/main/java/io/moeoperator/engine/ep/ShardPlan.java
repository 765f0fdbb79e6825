package io.moeoperator.engine.ep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Which rank of an expert-parallel group holds which routed experts. Each rank has a primary share
 * (the default plan: contiguous, equal shares, the first ranks one more when uneven) and may hold
 * extra copies of other experts. A token routed to expert {@code e} is computed on the rank that
 * routed it when that rank holds {@code e}, otherwise on {@code e}'s primary owner.
 *
 * <p>Text form ({@code --ep-experts}): one entry per rank in rank order, separated by commas; an entry
 * is its primary share ({@code a-b} or a single id) followed by {@code +}-separated extra copies, e.g.
 * {@code 0-3+7,4-7} (rank 0 holds 0..3 and a copy of 7; rank 1 holds 4..7). Primary shares must not
 * overlap and together must cover every expert.
 *
 * @param primary per rank, the experts it owns (sorted)
 * @param held    per rank, the experts it holds: its primary share plus its extra copies (sorted)
 */
public record ShardPlan(int numExperts, List<int[]> primary, List<int[]> held) {

    public ShardPlan {
        primary = List.copyOf(primary);
        held = List.copyOf(held);
    }

    public int numRanks() {
        return held.size();
    }

    /** Contiguous, equal shares; when uneven the first ranks take one more. */
    public static ShardPlan contiguous(int numRanks, int numExperts) {
        if (numRanks < 1) {
            throw new IllegalArgumentException("an expert-parallel group needs at least one rank, got " + numRanks);
        }
        List<int[]> shares = new ArrayList<>(numRanks);
        int base = numExperts / numRanks;
        int extra = numExperts % numRanks;
        int next = 0;
        for (int r = 0; r < numRanks; r++) {
            int count = base + (r < extra ? 1 : 0);
            int[] share = new int[count];
            for (int i = 0; i < count; i++) {
                share[i] = next++;
            }
            shares.add(share);
        }
        return new ShardPlan(numExperts, shares, shares);
    }

    /**
     * Checks the syntax of a {@code --ep-experts} value for a group of {@code numRanks} (what can be
     * checked before the model's expert count is known).
     *
     * @throws IllegalArgumentException saying what is wrong, starting with {@code --ep-experts}
     */
    public static void checkSyntax(String spec, int numRanks) {
        parseEntries(spec, numRanks);
    }

    /** @throws IllegalArgumentException naming the entry at fault, starting with {@code --ep-experts} */
    public static ShardPlan parse(String spec, int numRanks, int numExperts) {
        List<List<int[]>> entries = parseEntries(spec, numRanks); // per rank: ranges, first = primary
        List<int[]> primary = new ArrayList<>();
        List<int[]> held = new ArrayList<>();
        int[] primaryOwner = new int[numExperts];
        Arrays.fill(primaryOwner, -1);
        for (int r = 0; r < numRanks; r++) {
            List<int[]> ranges = entries.get(r);
            BitSet own = new BitSet();
            BitSet all = new BitSet();
            for (int i = 0; i < ranges.size(); i++) {
                int[] range = ranges.get(i);
                if (range[1] >= numExperts) {
                    throw new IllegalArgumentException("--ep-experts: rank " + r + " lists expert " + range[1]
                            + " but the model has " + numExperts + " routed experts (0.." + (numExperts - 1) + ")");
                }
                for (int e = range[0]; e <= range[1]; e++) {
                    if (i == 0) {
                        if (primaryOwner[e] >= 0) {
                            throw new IllegalArgumentException("--ep-experts: expert " + e + " is in the shares of ranks "
                                    + primaryOwner[e] + " and " + r + "; list extra copies after '+' (e.g. 0-3+7)");
                        }
                        primaryOwner[e] = r;
                        own.set(e);
                    }
                    all.set(e);
                }
            }
            primary.add(own.stream().toArray());
            held.add(all.stream().toArray());
        }
        for (int e = 0; e < numExperts; e++) {
            if (primaryOwner[e] < 0) {
                throw new IllegalArgumentException("--ep-experts: expert " + e + " is in no rank's share; the shares ("
                        + spec + ") must cover 0.." + (numExperts - 1));
            }
        }
        return new ShardPlan(numExperts, primary, held);
    }

    /** Per rank, a list of [from, to] ranges: the first is the primary share, the rest extra copies. */
    private static List<List<int[]>> parseEntries(String spec, int numRanks) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--ep-experts is empty; give one expert range per rank, e.g. 0-3,4-7");
        }
        String[] entries = spec.split(",", -1);
        if (entries.length != numRanks) {
            throw new IllegalArgumentException("--ep-experts '" + spec + "' has " + entries.length
                    + " entries but --ep-size is " + numRanks + ": give one expert range per rank, e.g. 0-3,4-7");
        }
        List<List<int[]>> out = new ArrayList<>();
        for (int r = 0; r < numRanks; r++) {
            List<int[]> ranges = new ArrayList<>();
            for (String item : entries[r].split("\\+", -1)) {
                ranges.add(range(item.strip(), r, spec));
            }
            out.add(ranges);
        }
        return out;
    }

    private static int[] range(String item, int rank, String spec) {
        String bad = "--ep-experts '" + spec + "': rank " + rank + "'s entry has '" + item
                + "', expected an expert id or a range a-b (extra copies after '+', e.g. 0-3+7)";
        int dash = item.indexOf('-');
        try {
            int from = Integer.parseInt(dash < 0 ? item : item.substring(0, dash).strip());
            int to = dash < 0 ? from : Integer.parseInt(item.substring(dash + 1).strip());
            if (from < 0 || to < from) {
                throw new IllegalArgumentException(bad);
            }
            return new int[] {from, to};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad);
        }
    }

    public boolean holds(int rank, int expert) {
        return Arrays.binarySearch(held.get(rank), expert) >= 0;
    }

    /** The rank that computes {@code expert} for tokens routed on {@code fromRank}. */
    public int rankFor(int expert, int fromRank) {
        if (holds(fromRank, expert)) {
            return fromRank;
        }
        for (int r = 0; r < primary.size(); r++) {
            if (Arrays.binarySearch(primary.get(r), expert) >= 0) {
                return r;
            }
        }
        throw new IllegalArgumentException("expert " + expert + " is outside the plan (0.." + (numExperts - 1) + ")");
    }

    /** {@code rankFor(e, fromRank)} for every expert, for the hot path. */
    public int[] routeTable(int fromRank) {
        int[] table = new int[numExperts];
        for (int e = 0; e < numExperts; e++) {
            table[e] = rankFor(e, fromRank);
        }
        return table;
    }

    /** The rank's entry in text form, e.g. {@code 0-3+7}. */
    public String describe(int rank) {
        StringBuilder sb = new StringBuilder(ranges(primary.get(rank)));
        int[] extra = Arrays.stream(held.get(rank)).filter(e -> Arrays.binarySearch(primary.get(rank), e) < 0).toArray();
        if (extra.length > 0) {
            sb.append('+').append(ranges(extra).replace(',', '+'));
        }
        return sb.toString();
    }

    private static String ranges(int[] sorted) {
        if (sorted.length == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(sorted[i]);
            if (j > i) {
                sb.append('-').append(sorted[j]);
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
