package io.moeoperator.server.ep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moeoperator.ep.PeerAddress;
import io.moeoperator.server.config.ServerConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpertGroupSettingsTest {
    @TempDir
    Path dir;

    record Ep(int size, Optional<String> rank, Optional<String> peers, OptionalInt port, Optional<String> experts,
              Optional<Path> secretFile, Duration timeout, String listenHost, Duration heartbeat,
              OptionalInt serveThreads) implements ServerConfig.Ep {}

    Ep ep(int size, String rank, String peers, Integer port, String experts, Path secret) {
        return new Ep(size, Optional.ofNullable(rank), Optional.ofNullable(peers),
                port == null ? OptionalInt.empty() : OptionalInt.of(port), Optional.ofNullable(experts),
                Optional.ofNullable(secret), Duration.ofSeconds(5), "0.0.0.0", Duration.ofSeconds(1), OptionalInt.empty());
    }

    Path secret() throws Exception {
        Path f = dir.resolve("secret");
        Files.writeString(f, "0123456789abcdef0123456789abcdef\n");
        return f;
    }

    @Test
    void oneRankNeedsNothingElse() {
        assertNull(ExpertGroupSettings.from(ep(1, null, null, null, null, null)));
    }

    @Test
    void theOperatorsArgumentsMakeAGroup() throws Exception {
        ExpertGroupSettings s = ExpertGroupSettings.from(ep(2, "tiny-g0-1",
                "tiny-g0-0.tiny-g0-peers.ns.svc:29500,tiny-g0-1.tiny-g0-peers.ns.svc:29500", 29500, "0-3,4-7", secret()));
        assertEquals(1, s.group().rank());
        assertEquals(29500, s.group().port());
        assertEquals(List.of(new PeerAddress("tiny-g0-0.tiny-g0-peers.ns.svc", 29500),
                new PeerAddress("tiny-g0-1.tiny-g0-peers.ns.svc", 29500)), s.group().peers());
        assertEquals("0-3,4-7", s.expertsSpec());
        assertEquals(1, s.group().serveThreads());
    }

    @Test
    void mistakesNameTheFlag() throws Exception {
        Path secret = secret();
        assertEquals("--ep-secret-file is required with --ep-size 2: peers prove a shared secret to each other",
                message(ep(2, "0", "a:1,b:2", null, null, null)));
        assertEquals("--ep-rank is required with --ep-size 2 (a number, or the pod name)",
                message(ep(2, null, "a:1,b:2", null, null, secret)));
        assertEquals("--ep-peers lists 1 addresses but --ep-size is 2: list every rank's host:port, in rank order",
                message(ep(2, "0", "a:1", null, null, secret)));
        assertEquals("--ep-port 3 differs from rank 1's own entry in --ep-peers (b:2); a rank listens on its own entry's port",
                message(ep(2, "x-1", "a:1,b:2", 3, null, secret)));
        assertEquals("--ep-experts '0-3' has 1 entries but --ep-size is 2: give one expert range per rank, e.g. 0-3,4-7",
                message(ep(2, "0", "a:1,b:2", null, "0-3", secret)));
        assertEquals("--ep-size must be >= 1, got 0", message(ep(0, null, null, null, null, null)));
    }

    private static String message(Ep ep) {
        return assertThrows(ConfigurationException.class, () -> ExpertGroupSettings.from(ep)).getMessage();
    }
}
