package io.moeoperator.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.moeoperator.engine.ep.TransportObserver;
import io.moeoperator.ep.GroupConfig;
import io.moeoperator.ep.GroupFingerprint;
import io.moeoperator.ep.NetworkExpertTransport;
import io.moeoperator.ep.PeerAddress;
import io.moeoperator.ep.RefusalReason;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The per-peer series as Prometheus scrapes them, refusals included (two ranks on loopback). */
class ExpertParallelMetricsTest {
    static final byte[] SECRET = "the metrics test group's secret".getBytes(StandardCharsets.UTF_8);

    /** {@code n} distinct free ports: every probe socket stays open until all are chosen. */
    static List<PeerAddress> freePorts(int n) throws IOException {
        List<ServerSocket> probes = new ArrayList<>();
        try {
            List<PeerAddress> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                probes.add(s);
                out.add(new PeerAddress("127.0.0.1", s.getLocalPort()));
            }
            return out;
        } finally {
            for (ServerSocket s : probes) {
                s.close();
            }
        }
    }

    static NetworkExpertTransport rank(int rank, List<PeerAddress> peers) {
        return new NetworkExpertTransport(new GroupConfig(rank, peers, "127.0.0.1", peers.get(rank).port(), SECRET,
                Duration.ofMillis(300), 1), TransportObserver.NONE);
    }

    static double sample(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "\\s+(\\S+)$").matcher(scrape);
        if (!m.find()) {
            fail("no " + series + " in\n" + scrape);
        }
        return Double.parseDouble(m.group(1));
    }

    @Test
    void refusalsAreCountedPerPeerAndReasonFromZero() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String version = GroupFingerprint.runtimeVersion();
        try (NetworkExpertTransport rank0 = rank(0, peers); NetworkExpertTransport rank1 = rank(1, peers)) {
            new ExpertParallelMetrics(registry).register(rank0);
            String before = registry.scrape();
            for (RefusalReason reason : RefusalReason.values()) {
                assertEquals(0, sample(before, "moe_ep_peer_refusals_total{peer=\"1\",reason=\"" + reason.label() + "\",}"));
            }
            assertTrue(!before.contains("peer=\"0\""), "no series for this rank itself:\n" + before);

            rank0.start((l, e, c, x) -> x, new GroupFingerprint("sha256:" + "1".repeat(64), "8 experts over 2 ranks: 0-3,4-7", version));
            rank1.start((l, e, c, x) -> x, new GroupFingerprint("sha256:" + "2".repeat(64), "8 experts over 2 ranks: 0-3,4-7", version));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (rank0.refusals(1, RefusalReason.MODEL) < 2) {
                assertTrue(System.nanoTime() < deadline, "no refusals: " + rank0.peers());
                Thread.sleep(20);
            }
            String after = registry.scrape();
            assertTrue(sample(after, "moe_ep_peer_refusals_total{peer=\"1\",reason=\"model\",}") >= 2, after);
            assertEquals(0, sample(after, "moe_ep_peer_refusals_total{peer=\"1\",reason=\"secret\",}"));
            assertEquals(0, sample(after, "moe_ep_peer_up{peer=\"1\",}"));
        }
    }
}
