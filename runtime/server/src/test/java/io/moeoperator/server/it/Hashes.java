package io.moeoperator.server.it;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The hashes the hub lists, for the stand-in: SHA-256 of LFS objects, git blob SHA-1 of the rest. */
final class Hashes {
    private Hashes() {}

    static String hex(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code git hash-object}: SHA-1 of {@code "blob <size>\0"} and the content. */
    static String gitBlobSha1(byte[] content) {
        byte[] head = ("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + content.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(content, 0, all, head.length, content.length);
        return hex("SHA-1", all);
    }
}
