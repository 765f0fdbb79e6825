package io.moeoperator.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.ep.ShardPlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GroupFingerprintTest {
    static final String MODEL_A = "sha256:1a2b3c4d5e6f" + "0".repeat(52);
    static final String MODEL_B = "sha256:5e6f7a8b9c0d" + "0".repeat(52);

    static GroupFingerprint fingerprint(String model, String plan) {
        return new GroupFingerprint(model, GroupFingerprint.planText(ShardPlan.parse(plan, 2, 8)), "moe 1.0 wire 2");
    }

    @Test
    void theShardPlanIsEveryRanksExpertsWithTheCounts() {
        assertEquals("8 experts over 2 ranks: 0-3,4-7", GroupFingerprint.planText(ShardPlan.contiguous(2, 8)));
        assertEquals("10 experts over 4 ranks: 0-2,3-5,6-7,8-9", GroupFingerprint.planText(ShardPlan.contiguous(4, 10)));
        assertEquals("10 experts over 2 ranks: 0-4+9,5-9+0", GroupFingerprint.planText(ShardPlan.parse("0-4+9,5-9+0", 2, 10)));
        assertNotEquals(GroupFingerprint.planText(ShardPlan.contiguous(2, 8)), GroupFingerprint.planText(ShardPlan.contiguous(4, 8)));
    }

    @Test
    void aLongPlanIsShortenedTheSameWayOnEveryRank() {
        ShardPlan plan = ShardPlan.contiguous(64, 256);
        String text = GroupFingerprint.planText(plan);
        assertEquals(text, GroupFingerprint.planText(ShardPlan.contiguous(64, 256)));
        assertTrue(text.startsWith("256 experts over 64 ranks: 0-3,4-7,"), text);
        assertTrue(text.matches(".*\\.\\.\\. sha256:[0-9a-f]{64}"), text);
        assertTrue(text.length() <= GroupFingerprint.MAX_COMPONENT_BYTES, text);
        String[] spec = new String[64];
        for (int r = 0; r < 64; r++) {
            spec[r] = r * 4 + "-" + (r * 4 + 3);
        }
        spec[63] = "252-255+0"; // differs only in the last entry, past the shortened text
        assertNotEquals(text, GroupFingerprint.planText(ShardPlan.parse(String.join(",", spec), 64, 256)));
    }

    @Test
    void equalFingerprintsAgree() {
        assertNull(fingerprint(MODEL_A, "0-3,4-7").compare(fingerprint(MODEL_A, "0-3,4-7"), 1));
    }

    @Test
    void anotherModelIsNamedWithBothDigestsInShortForm() {
        GroupFingerprint.Mismatch m = fingerprint(MODEL_A, "0-3,4-7").compare(fingerprint(MODEL_B, "0-3,4-7"), 1);
        assertEquals(RefusalReason.MODEL, m.reason());
        assertEquals("model sha256:1a2b3c4d5e6f (this rank) vs sha256:5e6f7a8b9c0d (rank 1); every rank of a group must "
                + "serve the same model file (a rollout replaces whole groups)", m.cause());
    }

    @Test
    void anotherPlanIsNamedWithBothPlans() {
        GroupFingerprint.Mismatch m = fingerprint(MODEL_A, "0-3,4-7").compare(fingerprint(MODEL_A, "0-5,6-7"), 0);
        assertEquals(RefusalReason.SHARD_PLAN, m.reason());
        assertEquals("shard plan 8 experts over 2 ranks: 0-3,4-7 (this rank) vs 8 experts over 2 ranks: 0-5,6-7 (rank 0); "
                + "give every rank the same --ep-size and --ep-experts (or none)", m.cause());
    }

    /** The version explains the rest (another release may digest or plan differently): it is the reason, all are listed. */
    @Test
    void everyDifferenceIsListedAndTheVersionComesFirst() {
        GroupFingerprint mine = fingerprint(MODEL_A, "0-3,4-7");
        GroupFingerprint theirs = new GroupFingerprint(MODEL_B, mine.shardPlan(), "moe 1.1 wire 2");
        GroupFingerprint.Mismatch m = mine.compare(theirs, 1);
        assertEquals(RefusalReason.VERSION, m.reason());
        assertEquals("version moe 1.0 wire 2 (this rank) vs moe 1.1 wire 2 (rank 1); model sha256:1a2b3c4d5e6f (this rank) "
                + "vs sha256:5e6f7a8b9c0d (rank 1); run the same moe version (image) on every rank of a group", m.cause());
    }

    @Test
    void theRuntimeVersionIsTheBuildsAndTheWireProtocols() {
        String v = GroupFingerprint.runtimeVersion();
        assertTrue(v.matches("moe \\d+\\.\\d+\\.\\d+\\S* wire " + Wire.VERSION), v);
    }

    @Test
    void roundTripsOnTheWireAndFitsAHandshakeFrame() {
        String max = "x".repeat(GroupFingerprint.MAX_COMPONENT_BYTES);
        GroupFingerprint big = new GroupFingerprint(max, max, max);
        ByteBuf hello = Wire.hello(ByteBufAllocator.DEFAULT, 64, 3, 5, new byte[Wire.NONCE_BYTES], big);
        ByteBuf challenge = Wire.challenge(ByteBufAllocator.DEFAULT, new byte[32], new byte[32], big);
        try {
            assertTrue(hello.readableBytes() <= Wire.MAX_HANDSHAKE_FRAME, hello.readableBytes() + " bytes");
            assertTrue(challenge.readableBytes() <= Wire.MAX_HANDSHAKE_FRAME, challenge.readableBytes() + " bytes");
            assertEquals(Wire.HELLO, hello.readByte());
            Wire.Hello h = Wire.readHello(hello);
            assertEquals(big, h.fingerprint());
            assertEquals(3, h.fromRank());
            assertEquals(Wire.CHALLENGE, challenge.readByte());
            assertEquals(big, Wire.readChallenge(challenge).fingerprint());
        } finally {
            hello.release();
            challenge.release();
        }
        GroupFingerprint unicode = new GroupFingerprint(MODEL_A, "plan ü", "moe 1.0 wire 2");
        assertEquals(unicode, GroupFingerprint.read(Unpooled.wrappedBuffer(unicode.encoded())));
    }

    @Test
    void malformedOrOversizedComponentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new GroupFingerprint(MODEL_A, "", "v"));
        assertThrows(IllegalArgumentException.class,
                () -> new GroupFingerprint(MODEL_A, "ü".repeat(GroupFingerprint.MAX_COMPONENT_BYTES / 2 + 1), "v"));
        byte[] truncated = new GroupFingerprint(MODEL_A, "p", "v").encoded();
        assertThrows(IllegalArgumentException.class,
                () -> GroupFingerprint.read(Unpooled.wrappedBuffer(truncated, 0, truncated.length - 1)));
        byte[] tooLong = {(byte) 0xff, 0x7f, 'x'};
        assertThrows(IllegalArgumentException.class, () -> GroupFingerprint.read(Unpooled.wrappedBuffer(tooLong)));
    }

    /** Neither side's fingerprint can be altered on the way: both are in both proofs. */
    @Test
    void bothFingerprintsAreInTheMac() {
        Handshake h = new Handshake("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        byte[] c = new byte[32];
        byte[] s = new byte[32];
        GroupFingerprint a = fingerprint(MODEL_A, "0-3,4-7");
        GroupFingerprint b = fingerprint(MODEL_B, "0-3,4-7");
        byte[] proof = h.proof("server", c, s, 0, 1, 2, a, a);
        assertArrayEquals(proof, h.proof("server", c, s, 0, 1, 2, a, a));
        assertFalse(Handshake.matches(proof, h.proof("server", c, s, 0, 1, 2, b, a)));
        assertFalse(Handshake.matches(proof, h.proof("server", c, s, 0, 1, 2, a, b)));
        assertFalse(Handshake.matches(proof, h.proof("client", c, s, 0, 1, 2, a, a)));
    }
}
