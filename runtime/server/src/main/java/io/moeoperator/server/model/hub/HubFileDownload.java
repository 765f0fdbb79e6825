package io.moeoperator.server.model.hub;

import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One file of a repository (a GGUF model named by {@code --model-file}) downloaded whole with what
 * a repository download has: the commit pinned, progress, resume after a drop or a restart, the
 * size and hash checked against the tree.
 */
public final class HubFileDownload {
    private HubFileDownload() {}

    /** Downloads {@code path} of {@code repository@revision} to {@code target}; returns the bytes downloaded. */
    public static long run(HubClient client, String repository, String revision, String path, Path target, long chunkBytes) {
        String source = "hf://" + repository + "@" + revision;
        RepoSnapshot snapshot;
        try {
            snapshot = client.snapshot(repository, revision);
        } catch (IOException e) {
            throw new ModelLoadException(source + ": cannot reach the hub at " + client.host() + " (" + e.getMessage()
                    + "); check HF_ENDPOINT and the network", e);
        }
        RepoFile file = snapshot.file(path).orElseThrow(() -> {
            List<String> gguf = snapshot.pathsEndingWith(".gguf");
            return new ModelLoadException(source + " has no file " + path + " at commit " + snapshot.commit()
                    + (gguf.isEmpty() ? "" : "; its GGUF files: " + String.join(", ", gguf.size() <= 20 ? gguf : gguf.subList(0, 20))));
        });
        AtomicLong downloaded = new AtomicLong();
        HubFileReader reader = new HubFileReader(client, snapshot, file, downloaded);
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new ModelLoadException(source + ": cannot write the model cache " + target.getParent() + ": " + e.getMessage(), e);
        }
        FileTransfer.run(reader, snapshot.commit(), target, FileTransfer.Plan.whole(file.size()), chunkBytes, "",
                part -> FileHashes.verify(reader.what(), file, part));
        return downloaded.get();
    }
}
