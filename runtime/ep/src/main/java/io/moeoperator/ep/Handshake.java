package io.moeoperator.ep;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual proof of the shared secret without sending it: each side sends a fresh random nonce, and
 * each proves knowledge of the secret with HMAC-SHA256 over both nonces, both ranks, the group size
 * and both sides' {@link GroupFingerprint}s, labelled by role so one side's proof cannot be replayed
 * as the other's. A recorded handshake is useless later (new nonces), the ranks in the MAC stop a
 * peer list wired to the wrong rank from connecting, and the fingerprints in it mean neither side's
 * claim about its model, plan or version can be altered on the way: a rank that decides its peer
 * serves another model decides it on what that peer really sent.
 */
final class Handshake {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    Handshake(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    static byte[] nonce() {
        byte[] n = new byte[Wire.NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    /** @param role "server" or "client": whose proof this is */
    byte[] proof(String role, byte[] clientNonce, byte[] serverNonce, int clientRank, int serverRank, int groupSize,
                 GroupFingerprint client, GroupFingerprint server) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(("moe-ep/" + Wire.VERSION + " " + role).getBytes(StandardCharsets.US_ASCII));
            mac.update(clientNonce);
            mac.update(serverNonce);
            mac.update(ByteBuffer.allocate(12).putInt(clientRank).putInt(serverRank).putInt(groupSize).array());
            mac.update(client.encoded()); // length-prefixed components: no two fingerprints encode alike
            mac.update(server.encoded());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** Constant time, so a guesser learns nothing from how long a refusal takes. */
    static boolean matches(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }
}
