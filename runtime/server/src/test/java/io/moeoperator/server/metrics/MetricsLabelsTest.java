package io.moeoperator.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.Tags;
import org.junit.jupiter.api.Test;

class MetricsLabelsTest {
    @Test
    void parsesPairs() {
        assertEquals(Tags.of("moe_deployment", "x", "moe_group", "0"), MetricsLabels.parse("moe_deployment=x, moe_group=0"));
        assertEquals(Tags.empty(), MetricsLabels.parse(""));
        assertEquals(Tags.of("a", "b=c"), MetricsLabels.parse("a=b=c"));
    }

    @Test
    void refusesWhatPrometheusWouldNot() {
        for (String bad : new String[] {"novalue", "1st=x", "moe-deployment=x", "__name__=x", "=x"}) {
            assertThrows(IllegalArgumentException.class, () -> MetricsLabels.parse(bad), bad);
        }
    }
}
