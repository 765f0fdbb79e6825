package io.moeoperator.operator.autoscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.operator.autoscale.MetricsUnavailableException.Reason;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Prometheus's instant-query HTTP API ({@code GET /api/v1/query}), reduced to one number or a reason why not. */
public final class PrometheusClient {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /** The single value {@code promql} evaluates to now. */
    public double query(URI base, String promql) throws MetricsUnavailableException {
        URI uri = URI.create(base.toString().replaceAll("/+$", "") + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new MetricsUnavailableException(Reason.PrometheusUnreachable, "Prometheus at " + base + " is unreachable: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetricsUnavailableException(Reason.PrometheusUnreachable, "interrupted while querying " + base);
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new MetricsUnavailableException(Reason.PrometheusUnreachable, base + " answered HTTP " + response.statusCode()
                    + " without a Prometheus API body");
        }
        if (!"success".equals(body.path("status").asText())) {
            throw new MetricsUnavailableException(Reason.QueryFailed, "query '" + promql + "' failed: "
                    + body.path("errorType").asText("error") + ": " + body.path("error").asText("HTTP " + response.statusCode()));
        }
        JsonNode data = body.path("data");
        String type = data.path("resultType").asText();
        String value;
        if (type.equals("scalar")) {
            value = data.path("result").path(1).asText();
        } else if (type.equals("vector")) {
            JsonNode result = data.path("result");
            if (result.isEmpty()) {
                throw new MetricsUnavailableException(Reason.NoData, "query '" + promql + "' returned no data (no series yet?)");
            }
            if (result.size() > 1) {
                throw new MetricsUnavailableException(Reason.QueryFailed, "query '" + promql + "' returned " + result.size()
                        + " series; it must return one value (aggregate it, e.g. with sum())");
            }
            value = result.path(0).path("value").path(1).asText();
        } else {
            throw new MetricsUnavailableException(Reason.QueryFailed, "query '" + promql + "' returned a " + type
                    + "; it must return one value");
        }
        double number;
        try {
            number = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new MetricsUnavailableException(Reason.InvalidMetricValue, "query '" + promql + "' returned '" + value + "'");
        }
        if (!Double.isFinite(number) || number < 0) {
            throw new MetricsUnavailableException(Reason.InvalidMetricValue, "query '" + promql + "' returned " + value
                    + "; a usable value is finite and not negative");
        }
        return number;
    }
}
