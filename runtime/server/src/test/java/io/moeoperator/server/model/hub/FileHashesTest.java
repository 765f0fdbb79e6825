package io.moeoperator.server.model.hub;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's two hashes computed locally, with git's and sha256sum's values for "hello\n". */
class FileHashesTest {
    static final String GIT_BLOB_SHA1 = "ce013625030ba8dba906f756967f9e9ca394464a"; // git hash-object of "hello\n"
    static final String SHA256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"; // sha256sum

    @TempDir
    Path dir;

    @Test
    void gitBlobSha1AndLfsSha256MatchWhatTheHubLists() throws IOException {
        Path f = Files.writeString(dir.resolve("hello.txt"), "hello\n");
        FileHashes.verify("plain", new RepoFile("hello.txt", 6, GIT_BLOB_SHA1, null), f);
        FileHashes.verify("lfs", new RepoFile("hello.txt", 6, "pointer-oid", SHA256), f);
        HubIntegrityException e = assertThrows(HubIntegrityException.class,
                () -> FileHashes.verify("x file hello.txt", new RepoFile("hello.txt", 6, "0".repeat(40), null), f));
        assertTrue(e.getMessage().equals("x file hello.txt: the downloaded bytes have git blob sha1 " + GIT_BLOB_SHA1
                + " but the hub lists " + "0".repeat(40) + " (oid); the download was deleted, start again to download it afresh"),
                e.getMessage());
        e = assertThrows(HubIntegrityException.class, () -> FileHashes.verify("y", new RepoFile("hello.txt", 6, null, "1".repeat(64)), f));
        assertTrue(e.getMessage().contains("have sha256 " + SHA256 + " but the hub lists " + "1".repeat(64) + " (lfs.oid)"), e.getMessage());
    }
}
