package io.moeoperator.server.model.hub;

import java.nio.file.Path;

/**
 * What one start did to get a repository's files: per process (per expert-parallel rank), the bytes
 * it took from the network and the bytes it keeps on disk, which the engine then maps.
 *
 * @param source          {@code hf://org/name@revision}
 * @param commit          the commit the revision pointed at
 * @param selection       which tensors this process keeps
 * @param dir             the local directory the engine opens
 * @param downloadedBytes bytes received from the hub and its CDN in this start, retried ones included
 * @param headerBytes     of those, bytes of safetensors headers read to choose tensors
 * @param localBytes      bytes of the directory's weight files (what the engine maps)
 * @param checkpointBytes bytes of every weight file in the repository
 * @param numShards       weight files in the repository's checkpoint
 * @param wholeShards     weight files downloaded whole (hash-checked)
 * @param prunedShards    weight files downloaded as a selection of their tensors
 * @param skippedShards   weight files holding nothing this process needs
 * @param fromCache       whether everything was already in the cache
 */
public record DownloadReport(String source, String commit, String selection, Path dir, long downloadedBytes, long headerBytes,
                             long localBytes, long checkpointBytes, int numShards, int wholeShards, int prunedShards,
                             int skippedShards, boolean fromCache) {

    public String describe() {
        String shortCommit = commit.length() > 12 ? commit.substring(0, 12) : commit;
        if (fromCache) {
            return String.format("%s (commit %s), %s: all in the cache, downloaded 0 B; %s of the checkpoint's %s on disk in %s",
                    source, shortCommit, selection, Bytes.format(localBytes), Bytes.format(checkpointBytes), dir);
        }
        return String.format("%s (commit %s), %s: downloaded %s (%s of it safetensors headers) of a %s checkpoint in %d weight"
                        + " files (%d whole, %d pruned, %d not needed); %s of weights on disk in %s",
                source, shortCommit, selection, Bytes.format(downloadedBytes), Bytes.format(headerBytes),
                Bytes.format(checkpointBytes), numShards, wholeShards, prunedShards, skippedShards, Bytes.format(localBytes), dir);
    }
}
