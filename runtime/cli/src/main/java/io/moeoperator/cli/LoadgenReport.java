package io.moeoperator.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Aggregates loadgen results: throughput and TTFT / inter-token latency / end-to-end percentiles. */
record LoadgenReport(int requests, int failed, int concurrency, double seconds, long generatedTokens,
                     double[] ttft, double[] itl, double[] e2e, String firstError) {

    static LoadgenReport of(List<LoadgenCommand.Result> results, double seconds, int concurrency) {
        List<Double> ttft = new ArrayList<>();
        List<Double> itl = new ArrayList<>();
        List<Double> e2e = new ArrayList<>();
        long tokens = 0;
        int failed = 0;
        String firstError = null;
        for (LoadgenCommand.Result r : results) {
            if (r.error() != null) {
                failed++;
                firstError = firstError == null ? r.error() : firstError;
                continue;
            }
            tokens += r.completionTokens();
            e2e.add((r.endNanos() - r.startNanos()) / 1e9);
            if (!r.tokenNanos().isEmpty()) {
                ttft.add((r.tokenNanos().getFirst() - r.startNanos()) / 1e9);
            }
            for (int i = 1; i < r.tokenNanos().size(); i++) {
                itl.add((r.tokenNanos().get(i) - r.tokenNanos().get(i - 1)) / 1e9);
            }
        }
        return new LoadgenReport(results.size(), failed, concurrency, seconds, tokens, percentiles(ttft),
                percentiles(itl), percentiles(e2e), firstError);
    }

    /** p50, p95, p99 (nearest rank); zeros when there are no samples. */
    static double[] percentiles(List<Double> samples) {
        if (samples.isEmpty()) {
            return new double[3];
        }
        List<Double> sorted = samples.stream().sorted().toList();
        double[] q = {0.50, 0.95, 0.99};
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            int rank = (int) Math.ceil(q[i] * sorted.size());
            out[i] = sorted.get(Math.max(0, rank - 1));
        }
        return out;
    }

    String toJson() {
        return String.format(Locale.ROOT, "{\"requests\":%d,\"failed\":%d,\"concurrency\":%d,\"duration_s\":%.3f,"
                        + "\"generated_tokens\":%d,\"generation_tokens_per_s\":%.2f,\"requests_per_s\":%.3f,"
                        + "\"ttft_s\":%s,\"itl_s\":%s,\"e2e_s\":%s%s}",
                requests, failed, concurrency, seconds, generatedTokens, generatedTokens / seconds,
                (requests - failed) / seconds, pct(ttft), pct(itl), pct(e2e),
                firstError == null ? "" : ",\"first_error\":\"" + firstError.replace("\\", "\\\\").replace("\"", "\\\"")
                        .replace("\n", "\\n") + "\"");
    }

    private static String pct(double[] p) {
        return String.format(Locale.ROOT, "{\"p50\":%.4f,\"p95\":%.4f,\"p99\":%.4f}", p[0], p[1], p[2]);
    }
}
