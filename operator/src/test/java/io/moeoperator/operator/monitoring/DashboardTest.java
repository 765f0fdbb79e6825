package io.moeoperator.operator.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/dashboards/ reads the runtime's metrics by the names the runtime really exports. The names
 * are a contract declared in runtime/server's ServingMetrics; this test derives the Prometheus names
 * from that source (Micrometer: counters get _total, timers _seconds_bucket/_count/_sum/_max) so a
 * renamed metric fails here rather than as an empty panel. PromQL syntax: `promtool check rules`.
 */
class DashboardTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DASHBOARD = ROOT.resolve("deploy/dashboards/moe-runtime.json");
    static final Path RULES = ROOT.resolve("deploy/dashboards/moe-runtime-rules.yml");
    static final Path SERVING_METRICS = ROOT.resolve("runtime/server/src/main/java/io/moeoperator/server/metrics/ServingMetrics.java");
    /** A raw metric name in PromQL: moe_..., not part of a recorded name (those contain ':'). */
    static final Pattern METRIC = Pattern.compile("(?<![\\w:])(moe_[a-z_]+)(?![\\w:])");

    /** The Prometheus names ServingMetrics registers. */
    static Set<String> exportedNames() throws IOException {
        String source = Files.readString(SERVING_METRICS);
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(Function)?(Counter|Gauge)\\.builder\\(\"(moe\\.[a-z.]+)\"|latency\\(\"(moe\\.[a-z.]+)\"").matcher(source);
        while (m.find()) {
            if (m.group(4) != null) {
                String base = m.group(4).replace('.', '_') + "_seconds";
                for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) names.add(base + suffix);
            } else {
                names.add(m.group(3).replace('.', '_') + (m.group(2).equals("Counter") ? "_total" : ""));
            }
        }
        assertTrue(names.size() >= 10, "read the metric names from " + SERVING_METRICS + ": " + names);
        return names;
    }

    static Set<String> metricsIn(String promql) {
        Set<String> used = new HashSet<>();
        Matcher m = METRIC.matcher(promql);
        while (m.find()) used.add(m.group(1));
        return used;
    }

    @Test
    void dashboardQueriesOnlyMetricsTheRuntimeExports() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        Set<String> exported = exportedNames();
        List<String> exprs = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
            if (panel.get("type").asText().equals("row")) continue;
            assertEquals("${datasource}", panel.at("/datasource/uid").asText(), panel.get("title") + ": use the datasource variable");
            assertFalse(panel.get("targets").isEmpty(), panel.get("title") + " has no query");
            panel.get("targets").forEach(t -> exprs.add(t.get("expr").asText()));
        }
        dashboard.at("/templating/list").forEach(v -> {
            if (v.has("query") && v.get("query").isObject()) exprs.add(v.at("/query/query").asText());
        });
        Set<String> used = new TreeSet<>();
        exprs.forEach(e -> used.addAll(metricsIn(e)));
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(exported);
        assertEquals(Set.of(), unknown, "metrics the runtime does not export (it exports " + exported + ")");
        // What the issue asks the dashboard to show.
        for (String needed : List.of("moe_request_success_total", "moe_time_to_first_token_seconds_bucket",
                "moe_inter_token_latency_seconds_bucket", "moe_requests_waiting", "moe_kv_cache_usage_ratio",
                "moe_generation_tokens_total", "moe_expert_tokens_total")) {
            assertTrue(used.contains(needed), "the dashboard shows nothing from " + needed);
        }
        List<String> types = new ArrayList<>();
        dashboard.get("panels").forEach(p -> types.add(p.get("type").asText() + (p.has("repeat") ? " repeated by " + p.get("repeat").asText() : "")));
        assertTrue(types.contains("heatmap repeated by layer"), "a per-expert heatmap for each layer: " + types);
    }

    @Test
    void rulesUseExportedMetricsAndTheirOwnRecordings() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(Files.readString(RULES));
        Set<String> exported = exportedNames();
        Set<String> recorded = new HashSet<>();
        List<JsonNode> all = new ArrayList<>();
        rules.get("groups").forEach(g -> g.get("rules").forEach(all::add));
        all.stream().filter(r -> r.has("record")).forEach(r -> recorded.add(r.get("record").asText()));
        for (JsonNode rule : all) {
            String expr = rule.get("expr").asText();
            Set<String> unknown = new TreeSet<>(metricsIn(expr));
            unknown.removeAll(exported);
            assertEquals(Set.of(), unknown, rule + ": not exported by the runtime");
            Matcher m = Pattern.compile("[a-z_]+:[a-z_:0-9]+").matcher(expr);
            while (m.find()) assertTrue(recorded.contains(m.group()), rule + " reads " + m.group() + ", which no rule records");
            if (rule.has("alert")) {
                assertNotNull(rule.get("for"), rule.get("alert") + ": alert without 'for' fires on a single scrape");
                assertTrue(rule.at("/labels/severity").isTextual(), rule.get("alert") + ": no severity");
                assertTrue(rule.at("/annotations/summary").isTextual(), rule.get("alert") + ": no summary");
            }
        }
    }
}
