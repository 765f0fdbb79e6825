package io.moeoperator.server.model.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hashes the hub lists for a file, computed locally: SHA-256 of the content for LFS files
 * ({@code lfs.oid}), git's blob SHA-1 ({@code "blob <size>\0"} then the content) for the others
 * ({@code oid}). Only whole files can be checked: a pruned shard holds a selection of the file's
 * bytes, which no listed hash covers.
 */
final class FileHashes {
    private FileHashes() {}

    /** Throws a {@link HubIntegrityException} naming the file, expected and actual, when they differ. */
    static void verify(String what, RepoFile file, Path local) {
        String actual = file.isLfs() ? hash("SHA-256", null, local) : file.gitOid() == null ? null
                : hash("SHA-1", ("blob " + file.size() + "\0").getBytes(StandardCharsets.UTF_8), local);
        String expected = file.isLfs() ? file.lfsSha256() : file.gitOid();
        if (actual != null && !actual.equalsIgnoreCase(expected)) {
            throw new HubIntegrityException(what + ": the downloaded bytes have " + (file.isLfs() ? "sha256 " : "git blob sha1 ")
                    + actual + " but the hub lists " + expected + " (" + (file.isLfs() ? "lfs.oid" : "oid")
                    + "); the download was deleted, start again to download it afresh");
        }
    }

    private static String hash(String algorithm, byte[] preamble, Path local) {
        try (InputStream in = Files.newInputStream(local)) {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (preamble != null) {
                md.update(preamble);
            }
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + local + " to check its hash: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is unavailable in this JVM", e);
        }
    }
}
