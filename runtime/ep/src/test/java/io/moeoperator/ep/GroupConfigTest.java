package io.moeoperator.ep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupConfigTest {

    @Test
    void theRankIsANumberOrAPodNamesOrdinal() {
        assertEquals(1, GroupConfig.parseRank("1", 2));
        assertEquals(1, GroupConfig.parseRank("tiny-g0-1", 2));
        assertEquals(3, GroupConfig.parseRank("big-model-g12-3", 4));
        assertEquals("--ep-rank tiny-g0-2 is rank 2, outside the group of --ep-size 2 (0..1)",
                assertThrows(IllegalArgumentException.class, () -> GroupConfig.parseRank("tiny-g0-2", 2)).getMessage());
        assertEquals("--ep-rank 'tiny' is neither a number nor a pod name ending in -<ordinal> (e.g. tiny-g0-1)",
                assertThrows(IllegalArgumentException.class, () -> GroupConfig.parseRank("tiny", 2)).getMessage());
    }

    @Test
    void peersAreHostPortInRankOrder() {
        assertEquals(List.of(new PeerAddress("a-0.peers.ns.svc", 29500), new PeerAddress("::1", 29501)),
                PeerAddress.parseList("a-0.peers.ns.svc:29500, [::1]:29501"));
        assertEquals("--ep-peers 'a:1,b': entry 'b' is not host:port",
                assertThrows(IllegalArgumentException.class, () -> PeerAddress.parseList("a:1,b")).getMessage());
        assertEquals("--ep-peers 'a:x': entry 'a:x' is not host:port: the port is not a number",
                assertThrows(IllegalArgumentException.class, () -> PeerAddress.parseList("a:x")).getMessage());
        assertEquals("--ep-peers 'a:0': entry 'a:0' is not host:port: port 0 is outside 1..65535",
                assertThrows(IllegalArgumentException.class, () -> PeerAddress.parseList("a:0")).getMessage());
    }

    @Test
    void theListenPortIsTheOwnEntrysAndEpPortMustAgree() {
        List<PeerAddress> peers = PeerAddress.parseList("h0:29500,h1:29501");
        assertEquals(29501, GroupConfig.listenPort(null, peers, 1));
        assertEquals(29501, GroupConfig.listenPort(29501, peers, 1));
        assertEquals("--ep-port 29500 differs from rank 1's own entry in --ep-peers (h1:29501); a rank listens on its own entry's port",
                assertThrows(IllegalArgumentException.class, () -> GroupConfig.listenPort(29500, peers, 1)).getMessage());
    }

    @Test
    void theSecretIsTheFilesTrimmedContent(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("secret");
        Files.writeString(f, "0123456789abcdef0123\n");
        assertEquals("0123456789abcdef0123", new String(GroupConfig.readSecret(f)));
        // The operator's Secret: raw random bytes, not text.
        byte[] binary = new byte[32];
        new java.util.Random(1).nextBytes(binary);
        binary[0] = (byte) 0xff; // not valid UTF-8
        binary[31] = (byte) 0xc3;
        java.nio.file.Path b = dir.resolve("binary");
        java.nio.file.Files.write(b, binary);
        org.junit.jupiter.api.Assertions.assertArrayEquals(binary, GroupConfig.readSecret(b));
        Files.writeString(f, "short\n");
        assertEquals("--ep-secret-file " + f + " holds 5 bytes; use at least 16 random bytes (e.g. openssl rand -hex 32)",
                assertThrows(IllegalArgumentException.class, () -> GroupConfig.readSecret(f)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GroupConfig.readSecret(dir.resolve("none")));
    }
}
