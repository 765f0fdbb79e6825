package io.moeoperator.server.ep;

import io.moeoperator.engine.ep.ShardPlan;
import io.moeoperator.ep.GroupConfig;
import io.moeoperator.ep.PeerAddress;
import io.moeoperator.server.config.ServerConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The {@code --ep-*} configuration checked and turned into the transport's {@link GroupConfig}: a
 * mistake stops start-up with one line naming the flag (a {@link ConfigurationException}, which
 * Quarkus prints without a stack trace).
 *
 * @param expertsSpec the shard plan's text, or null for contiguous equal shares
 */
public record ExpertGroupSettings(GroupConfig group, String expertsSpec, Duration timeout) {

    /** Null when {@code --ep-size} is 1: one process, every expert. */
    public static ExpertGroupSettings from(ServerConfig.Ep ep) {
        int size = ep.size();
        if (size < 1) {
            throw invalid("--ep-size must be >= 1, got " + size, "moe.ep.size");
        }
        if (size == 1) {
            return null;
        }
        String rankValue = ep.rank().orElseThrow(() -> invalid(
                "--ep-rank is required with --ep-size " + size + " (a number, or the pod name)", "moe.ep.rank"));
        String peersValue = ep.peers().orElseThrow(() -> invalid(
                "--ep-peers is required with --ep-size " + size + ": every rank's host:port, in rank order", "moe.ep.peers"));
        var secretFile = ep.secretFile().orElseThrow(() -> invalid("--ep-secret-file is required with --ep-size "
                + size + ": peers prove a shared secret to each other", "moe.ep.secret-file"));
        try {
            int rank = GroupConfig.parseRank(rankValue, size);
            List<PeerAddress> peers = PeerAddress.parseList(peersValue);
            if (peers.size() != size) {
                throw new IllegalArgumentException("--ep-peers lists " + peers.size() + " addresses but --ep-size is "
                        + size + ": list every rank's host:port, in rank order");
            }
            int port = GroupConfig.listenPort(ep.port().isPresent() ? ep.port().getAsInt() : null, peers, rank);
            String experts = ep.experts().map(String::strip).orElse(null);
            if (experts != null) {
                ShardPlan.checkSyntax(experts, size);
            }
            if (ep.timeout().isNegative() || ep.timeout().isZero()) {
                throw new IllegalArgumentException("--ep-timeout must be > 0, got " + ep.timeout());
            }
            byte[] secret = GroupConfig.readSecret(secretFile);
            int serveThreads = ep.serveThreads().orElse(Math.min(4, size - 1));
            GroupConfig group = new GroupConfig(rank, peers, ep.listenHost(), port, secret, ep.heartbeat(), serveThreads);
            return new ExpertGroupSettings(group, experts, ep.timeout());
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage(), "moe.ep");
        }
    }

    private static ConfigurationException invalid(String message, String key) {
        return new ConfigurationException(message, Set.of(key));
    }
}
