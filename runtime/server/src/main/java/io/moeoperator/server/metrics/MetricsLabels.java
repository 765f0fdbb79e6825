package io.moeoperator.server.metrics;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.moeoperator.server.config.ServerConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Labels added to every metric ({@code --metrics-labels moe_namespace=ns,moe_deployment=x,moe_group=0}):
 * the operator sets them so dashboards and its autoscaler find a deployment's series whatever the
 * Prometheus scrape configuration adds.
 */
public final class MetricsLabels {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** @throws IllegalArgumentException naming the malformed pair */
    public static Tags parse(String spec) {
        List<Tag> tags = new ArrayList<>();
        if (spec == null || spec.isBlank()) return Tags.empty();
        for (String pair : spec.split(",")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair.strip() : pair.substring(0, eq).strip();
            if (eq < 0 || !NAME.matcher(name).matches() || name.startsWith("__")) {
                throw new IllegalArgumentException("--metrics-labels: '" + pair + "' is not name=value with a Prometheus label name");
            }
            tags.add(Tag.of(name, pair.substring(eq + 1).strip()));
        }
        return Tags.of(tags);
    }

    @Produces
    @Singleton
    MeterFilter commonLabels(ServerConfig config) {
        try {
            return MeterFilter.commonTags(parse(config.metricsLabels().orElse(null)));
        } catch (IllegalArgumentException e) {
            // A configuration problem: Quarkus stops start-up with just this message.
            throw new ConfigurationException(e.getMessage(), Set.of("moe.metrics-labels"));
        }
    }
}
