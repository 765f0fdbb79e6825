package io.moeoperator.engine.model;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.engine.ep.ExpertResult;
import io.moeoperator.engine.ep.ShardPlan;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The MoE block: router, top-k selection, routed experts and the shared experts. Tokens routed to
 * the same expert are gathered and computed together, so each expert's weights stream from memory
 * once per step however many tokens chose it.
 *
 * <p>With expert parallelism, experts this rank does not hold are computed by the ranks that do: the
 * gathered rows of each such expert travel to its rank (one call per rank per layer, sent before the
 * local experts start so both compute at once) and come back as per-row outputs. The weighted sum
 * then runs here exactly as without parallelism, in the same order and precision, and the kernels
 * are batch-invariant, so the output is bit-identical to one process holding every expert.
 */
final class MoeFeedForward {
    private final ModelConfig c;
    private final TensorOps ops;
    private final ExpertLoad load;
    private final ExpertParallelism ep;
    private final int[] rankOf; // (numExperts) the rank that computes each expert for tokens routed here
    private final ExpertRouter router;

    MoeFeedForward(ModelConfig c, TensorOps ops, ExpertLoad load, ExpertParallelism ep, ShardPlan plan) {
        this.c = c;
        this.ops = ops;
        this.load = load;
        this.ep = ep;
        this.rankOf = plan.routeTable(ep.rank());
        this.router = new ExpertRouter(c, ops);
    }

    /** A call in flight to another rank: its experts (ascending) and their rows' flat (token * k + slot) indices. */
    private record Pending(int rank, int[] experts, int[][] slots, CompletableFuture<ExpertResult> result) {}

    /** {@code xn}: (n, hidden) normalised input; returns (n, hidden) = routed + shared output. */
    float[] forward(LayerWeights w, int layer, float[] xn, int n) {
        int k = c.numExpertsUsed();
        ExpertRouter.Routing routing = router.route(w.router(), w.routerBias(), xn, n);
        int hidden = c.hidden();
        int numExperts = c.numExperts();

        int[] counts = new int[numExperts];
        for (int e : routing.experts()) {
            counts[e]++;
        }
        int[][] slots = new int[numExperts][]; // per expert: flat (token * k + slot) indices routed to it
        for (int e = 0; e < numExperts; e++) {
            slots[e] = new int[counts[e]];
        }
        int[] filled = new int[numExperts];
        for (int i = 0; i < n * k; i++) {
            int e = routing.experts()[i];
            slots[e][filled[e]++] = i;
        }
        load.add(layer, counts); // counted where the token was routed, once per logical expert

        // Dispatch first: remote experts compute while this rank computes its own.
        long deadline = System.nanoTime() + ep.timeout().toNanos();
        List<Pending> pending = dispatch(layer, xn, counts, slots);

        float[] expertOut = new float[n * k * hidden]; // (n, k, hidden): each token's k expert outputs
        for (int e = 0; e < numExperts; e++) {
            int m = counts[e];
            if (m == 0 || rankOf[e] != ep.rank()) {
                continue;
            }
            float[] xe = gather(xn, slots[e], k);
            float[] ye = swiglu(w.expertGate()[e], w.expertUp()[e], w.expertDown()[e], xe, m);
            scatter(ye, 0, slots[e], expertOut);
        }
        float[] shared = w.sharedGate() == null ? null : swiglu(w.sharedGate(), w.sharedUp(), w.sharedDown(), xn, n);
        combine(layer, pending, expertOut, deadline);

        // Weighted sum in selection order, as llama.cpp adds its expert views.
        float[] out = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            for (int s = 0; s < k; s++) {
                ops.axpy(routing.weights()[t * k + s], expertOut, (t * k + s) * hidden, out, t * hidden, hidden);
            }
        }
        if (shared != null) {
            for (int i = 0; i < out.length; i++) {
                out[i] += shared[i];
            }
        }
        return out;
    }

    /** One call per other rank that holds experts these tokens chose. */
    private List<Pending> dispatch(int layer, float[] xn, int[] counts, int[][] slots) {
        if (ep.size() == 1) {
            return List.of();
        }
        int hidden = c.hidden();
        int k = c.numExpertsUsed();
        List<Pending> pending = new ArrayList<>();
        for (int r = 0; r < ep.size(); r++) {
            if (r == ep.rank()) {
                continue;
            }
            int numExperts = 0;
            int rows = 0;
            for (int e = 0; e < counts.length; e++) {
                if (counts[e] > 0 && rankOf[e] == r) {
                    numExperts++;
                    rows += counts[e];
                }
            }
            if (numExperts == 0) {
                continue;
            }
            int[] experts = new int[numExperts];
            int[] rowCounts = new int[numExperts];
            int[][] callSlots = new int[numExperts][];
            float[] x = new float[rows * hidden]; // (rows, hidden): expert after expert, as the local path gathers
            for (int e = 0, i = 0, row = 0; e < counts.length; e++) {
                if (counts[e] > 0 && rankOf[e] == r) {
                    experts[i] = e;
                    rowCounts[i] = counts[e];
                    callSlots[i] = slots[e];
                    for (int slot : slots[e]) {
                        System.arraycopy(xn, (slot / k) * hidden, x, row++ * hidden, hidden);
                    }
                    i++;
                }
            }
            CompletableFuture<ExpertResult> result =
                    ep.transport().call(r, new ExpertCall(layer, experts, rowCounts, x, hidden));
            pending.add(new Pending(r, experts, callSlots, result));
        }
        return pending;
    }

    /** Waits for every call (all share one deadline) and puts each row's output at its slot. */
    private void combine(int layer, List<Pending> pending, float[] expertOut, long deadline) {
        int hidden = c.hidden();
        for (Pending p : pending) {
            ExpertResult result;
            try {
                result = p.result().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                p.result().cancel(false);
                throw new ExpertPeerUnavailableException(p.rank(), "expert rank " + p.rank() + " did not answer layer "
                        + layer + " within " + ep.timeout().toMillis() + " ms");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ExpertPeerUnavailableException u) {
                    throw new ExpertPeerUnavailableException(u.peer(), u.getMessage(), u);
                }
                throw new IllegalStateException("expert rank " + p.rank() + " failed layer " + layer + ": "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for expert rank " + p.rank(), e);
            }
            float[] y = result.y();
            int row = 0;
            for (int[] s : p.slots()) {
                row += scatter(y, row, s, expertOut);
            }
            if (row * hidden != y.length) {
                throw new IllegalStateException("expert rank " + p.rank() + " returned " + y.length / hidden
                        + " rows for layer " + layer + ", expected " + row);
            }
        }
    }

    /** Rows of {@code xn} for the given flat slots: (slots.length, hidden). */
    private float[] gather(float[] xn, int[] slots, int k) {
        int hidden = c.hidden();
        float[] xe = new float[slots.length * hidden];
        for (int j = 0; j < slots.length; j++) {
            System.arraycopy(xn, (slots[j] / k) * hidden, xe, j * hidden, hidden);
        }
        return xe;
    }

    /** Copies {@code slots.length} rows of {@code y} from row {@code fromRow} to their slots; returns the count. */
    private int scatter(float[] y, int fromRow, int[] slots, float[] expertOut) {
        int hidden = c.hidden();
        for (int j = 0; j < slots.length; j++) {
            System.arraycopy(y, (fromRow + j) * hidden, expertOut, slots[j] * hidden, hidden);
        }
        return slots.length;
    }

    /**
     * A peer's call: each listed expert (held by this rank) on its rows, outputs in the same order.
     * {@code x}: (sum(counts), hidden).
     */
    float[] computeHeld(LayerWeights w, int layer, int[] experts, int[] counts, float[] x) {
        if (!w.isMoe()) {
            throw new IllegalArgumentException("layer " + layer + " has no routed experts");
        }
        int hidden = c.hidden();
        float[] y = new float[x.length];
        int row = 0;
        for (int i = 0; i < experts.length; i++) {
            int e = experts[i];
            if (e < 0 || e >= c.numExperts() || w.expertGate()[e] == null) {
                throw new IllegalArgumentException("rank " + ep.rank() + " does not hold expert " + e + " of layer " + layer);
            }
            int m = counts[i];
            float[] xe = new float[m * hidden];
            System.arraycopy(x, row * hidden, xe, 0, m * hidden);
            float[] ye = swiglu(w.expertGate()[e], w.expertUp()[e], w.expertDown()[e], xe, m);
            System.arraycopy(ye, 0, y, row * hidden, m * hidden);
            row += m;
        }
        return y;
    }

    /** down(silu(gate x) * up x) for (m, in) inputs. */
    private float[] swiglu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] x, int m) {
        float[] g = new float[m * gate.rows()];
        float[] u = new float[m * up.rows()];
        ops.matmul(gate, x, g, m);
        ops.matmul(up, x, u, m);
        ops.swiglu(g, u, g.length);
        float[] y = new float[m * down.rows()];
        ops.matmul(down, g, y, m);
        return y;
    }

    /** The dense MLP of the leading layers: same SwiGLU shape as an expert. */
    float[] dense(LayerWeights w, float[] xn, int n) {
        return swiglu(w.ffnGate(), w.ffnUp(), w.ffnDown(), xn, n);
    }
}
