package io.moeoperator.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moeoperator.engine.ep.ExpertTransport;
import io.moeoperator.engine.ep.TransportObserver;
import io.moeoperator.ep.NetworkExpertTransport;
import io.moeoperator.ep.RefusalReason;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Per-peer metrics of expert parallelism, labelled {@code peer} (the peer's rank). Dispatch and
 * combine are one call per destination rank per layer (the hidden states go out, the expert outputs
 * come back), so latency is measured per call: {@code moe_ep_dispatch_combine_seconds{peer}} from
 * sending to having the outputs, and {@code moe_ep_peer_compute_seconds{peer}} the part the peer
 * spent computing (the difference is the transport's). {@code moe_ep_bytes_sent_total{peer}} and
 * {@code moe_ep_bytes_received_total{peer}} count frame bytes; {@code moe_ep_peer_up{peer}} is 1
 * while the peer is connected and authenticated. {@code moe_ep_peer_refusals_total{peer,reason}}
 * counts connections with the peer that this rank refused or was refused on, {@code reason} one of
 * {@code model}, {@code shard_plan}, {@code version} (the group's fingerprint differs) and {@code
 * secret}: while a peer is refused its links retry every 2 s, so the counter keeps rising.
 */
@ApplicationScoped
public class ExpertParallelMetrics implements TransportObserver {
    private static final double[] BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10};

    private final MeterRegistry registry;
    private volatile Timer[] roundTrip;
    private volatile Timer[] peerCompute;
    private volatile Counter[] bytesSent;
    private volatile Counter[] bytesReceived;
    /** Held here because gauges keep only weak references. */
    private ExpertTransport transport;

    ExpertParallelMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers every peer's series (at 0) before the first call or refusal. */
    public void register(NetworkExpertTransport transport) {
        this.transport = transport;
        int size = transport.size();
        Timer[] rt = new Timer[size];
        Timer[] pc = new Timer[size];
        Counter[] sent = new Counter[size];
        Counter[] received = new Counter[size];
        for (int peer = 0; peer < size; peer++) {
            if (peer == transport.rank()) {
                continue;
            }
            String p = Integer.toString(peer);
            rt[peer] = timer("moe.ep.dispatch.combine", "One layer's call to a peer: hidden states out, expert outputs back", p);
            pc[peer] = timer("moe.ep.peer.compute", "The part of a call the peer spent computing its experts", p);
            sent[peer] = Counter.builder("moe.ep.bytes.sent").description("Bytes of expert calls sent to a peer")
                    .tag("peer", p).register(registry);
            received[peer] = Counter.builder("moe.ep.bytes.received").description("Bytes of expert results received from a peer")
                    .tag("peer", p).register(registry);
            int r = peer;
            Gauge.builder("moe.ep.peer.up", transport, t -> t.peers().get(r).up() ? 1 : 0)
                    .description("1 while the peer is connected and authenticated").tag("peer", p).register(registry);
            for (RefusalReason reason : RefusalReason.values()) {
                FunctionCounter.builder("moe.ep.peer.refusals", transport, t -> t.refusals(r, reason))
                        .description("Connections with a peer refused: another model, shard plan or version, or not the "
                                + "group's secret").tags("peer", p, "reason", reason.label()).register(registry);
            }
        }
        roundTrip = rt;
        peerCompute = pc;
        bytesSent = sent;
        bytesReceived = received;
    }

    @Override
    public void callCompleted(int peer, long roundTripNanos, long peerComputeNanos, long sent, long received) {
        Timer[] rt = roundTrip;
        if (rt == null) {
            return;
        }
        rt[peer].record(roundTripNanos, TimeUnit.NANOSECONDS);
        peerCompute[peer].record(peerComputeNanos, TimeUnit.NANOSECONDS);
        bytesSent[peer].increment(sent);
        bytesReceived[peer].increment(received);
    }

    private Timer timer(String name, String description, String peer) {
        Duration[] buckets = new Duration[BUCKETS.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = Duration.ofNanos(Math.round(BUCKETS[i] * 1e9));
        }
        return Timer.builder(name).description(description).tag("peer", peer).serviceLevelObjectives(buckets)
                .register(registry);
    }
}
