package io.moeoperator.server.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.safetensors.SafetensorsCheckpoint;
import io.moeoperator.engine.safetensors.SafetensorsFile;
import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The weight files of one selection: per shard of the repository's index (or its one
 * {@code model.safetensors}), nothing when it holds no tensor the selection needs, the whole file
 * (hash-checked) when it needs all of them, else a pruned copy made from the shard's header and the
 * byte ranges of the kept tensors. A pruned selection gets an index naming only what its files
 * hold, so a tensor that was not downloaded is missing, never zeros. The marker written last makes
 * the directory complete.
 */
final class ShardDownloads {
    private final HubClient client;
    private final RepoSnapshot snapshot;
    private final ExpertSelection selection;
    private final Path commitDir;
    private final Path dir;
    private final long chunkBytes;
    private final AtomicLong downloaded;
    private long headerBytes;
    private int whole;
    private int pruned;
    private int skipped;

    ShardDownloads(HubClient client, RepoSnapshot snapshot, ExpertSelection selection, Path commitDir, Path dir, long chunkBytes,
                   AtomicLong downloaded) {
        this.client = client;
        this.snapshot = snapshot;
        this.selection = selection;
        this.commitDir = commitDir;
        this.dir = dir;
        this.chunkBytes = chunkBytes;
        this.downloaded = downloaded;
    }

    RepositoryDownload.Result run() throws IOException {
        Map<String, List<String>> shards = shards();
        Map<String, String> localIndex = new LinkedHashMap<>();
        Map<String, Long> localFiles = new TreeMap<>();
        long checkpointBytes = 0;
        for (Map.Entry<String, List<String>> e : shards.entrySet()) {
            String shard = e.getKey();
            RepoFile file = snapshot.file(shard).orElseThrow(() -> new ModelLoadException(snapshot.source() + ": "
                    + SafetensorsCheckpoint.INDEX + " names shard " + shard + ", which commit " + snapshot.shortCommit() + " does not have"));
            checkpointBytes += file.size();
            List<String> kept = shard(file, e.getValue());
            kept.forEach(name -> localIndex.put(name, shard));
            if (Files.isRegularFile(dir.resolve(shard))) {
                localFiles.put(shard, Files.size(dir.resolve(shard)));
            }
        }
        if (!selection.all() && shards.keySet().stream().anyMatch(s -> !s.equals(SafetensorsCheckpoint.SINGLE))) {
            writeLocalIndex(localIndex);
        }
        long localBytes = localFiles.values().stream().mapToLong(Long::longValue).sum();
        String digest = digest(snapshot, shards.keySet());
        writeMarker(localFiles, digest, checkpointBytes, shards.size());
        DownloadReport report = new DownloadReport(snapshot.source(), snapshot.commit(), selection.describe(), dir, downloaded.get(),
                headerBytes, localBytes, checkpointBytes, shards.size(), whole, pruned, skipped, false);
        return new RepositoryDownload.Result(dir, report, digest);
    }

    /** Shard file -> its tensors by the index, or {@code model.safetensors} -> null (unknown until its header is read). */
    private Map<String, List<String>> shards() {
        Path index = commitDir.resolve(SafetensorsCheckpoint.INDEX);
        Map<String, List<String>> shards = new TreeMap<>();
        if (!Files.isRegularFile(index)) {
            shards.put(SafetensorsCheckpoint.SINGLE, null);
            return shards;
        }
        JsonNode doc = RepositoryDownload.readJson(index);
        JsonNode weightMap = doc == null ? null : doc.path("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new ModelLoadException(snapshot.source() + ": " + SafetensorsCheckpoint.INDEX + " has no weight_map naming the tensors' shards");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> t = it.next();
            String shard = t.getValue().asText();
            if (!shard.matches("[A-Za-z0-9._-]+\\.safetensors")) {
                throw new ModelLoadException(snapshot.source() + ": " + SafetensorsCheckpoint.INDEX + " maps " + t.getKey() + " to "
                        + t.getValue() + ", not a .safetensors file beside it");
            }
            shards.computeIfAbsent(shard, s -> new ArrayList<>()).add(t.getKey());
        }
        return shards;
    }

    /** Downloads what the selection needs of one shard; returns the tensor names its local copy holds. */
    private List<String> shard(RepoFile file, List<String> names) throws IOException {
        Path target = dir.resolve(file.path());
        HubFileReader reader = new HubFileReader(client, snapshot, file, downloaded);
        if (selection.all() || names != null && names.stream().allMatch(selection::needs)) {
            downloadWhole(reader, target);
            return names == null ? List.of() : names;
        }
        if (names != null && names.stream().noneMatch(selection::needs)) {
            skipped++;
            return List.of();
        }
        long before = downloaded.get();
        ShardHeader header = ShardHeader.read(reader);
        headerBytes += downloaded.get() - before;
        ShardHeader.Pruned p = header.prune(n -> selection.needs(n) && (names == null || names.contains(n)),
                "of " + snapshot.source() + " commit " + snapshot.commit() + " " + file.path() + " only " + selection.describe()
                        + " were downloaded; the other tensors are missing here");
        if (p.kept().isEmpty()) {
            skipped++;
        } else if (p.kept().size() == header.entries.size()) {
            downloadWhole(reader, target);
        } else {
            pruned++;
            if (!Files.isRegularFile(target)) {
                FileTransfer.run(reader, snapshot.commit(), target, p.plan(), chunkBytes, "as " + p.kept().size() + " of "
                        + header.entries.size() + " tensors in " + p.numRanges() + " ranges (" + Bytes.format(p.keptBytes())
                        + " of " + Bytes.format(file.size()) + ")", part -> checkPruned(reader.what(), part, p.kept().size()));
            }
        }
        return p.kept();
    }

    private void downloadWhole(HubFileReader reader, Path target) throws IOException {
        whole++;
        RepoFile file = reader.file();
        if (Files.isRegularFile(target) && Files.size(target) == file.size()) {
            return; // hash-checked before it got its name
        }
        FileTransfer.run(reader, snapshot.commit(), target, FileTransfer.Plan.whole(file.size()), chunkBytes, "",
                part -> FileHashes.verify(reader.what(), file, part));
    }

    /** A pruned file is checked as the engine will read it: its header against its bytes. */
    private static void checkPruned(String what, Path part, int numTensors) {
        try (SafetensorsFile f = SafetensorsFile.open(part)) {
            if (f.tensors().size() != numTensors) {
                throw new HubIntegrityException(what + ": the pruned copy holds " + f.tensors().size() + " tensors, expected " + numTensors);
            }
        } catch (ModelFileException e) {
            throw new HubIntegrityException(what + ": the pruned copy is not a valid safetensors file (" + e.getMessage()
                    + "); it was deleted, start again to download it afresh");
        }
    }

    private void writeLocalIndex(Map<String, String> weightMap) throws IOException {
        ObjectNode index = RepositoryDownload.newJson();
        index.putObject("metadata").put("moe.source", snapshot.source() + " commit " + snapshot.commit())
                .put("moe.selection", selection.describe());
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        write(dir.resolve(SafetensorsCheckpoint.INDEX), RepositoryDownload.jsonBytes(index));
    }

    private void writeMarker(Map<String, Long> localFiles, String digest, long checkpointBytes, int numShards) throws IOException {
        ObjectNode m = RepositoryDownload.newJson();
        m.put("source", snapshot.source()).put("commit", snapshot.commit()).put("selection", selection.describe())
                .put("digest", digest).put("checkpointBytes", checkpointBytes).put("numShards", numShards);
        ObjectNode files = m.putObject("files");
        localFiles.forEach(files::put);
        ArrayNode repo = m.putArray("repository");
        for (RepoFile f : snapshot.files().values()) {
            if (RepositoryDownload.SMALL_FILES.contains(f.path()) || f.path().endsWith(".safetensors")) {
                repo.addObject().put("path", f.path()).put("size", f.size()).put("oid", f.gitOid()).put("lfs", f.lfsSha256());
            }
        }
        write(dir.resolve(RepositoryDownload.MARKER), RepositoryDownload.jsonBytes(m));
    }

    private static void write(Path p, byte[] bytes) throws IOException {
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.write(tmp, bytes);
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String digest(RepoSnapshot s, java.util.Collection<String> shards) {
        List<String> paths = new ArrayList<>(shards);
        paths.add(io.moeoperator.engine.safetensors.HfConfig.FILE);
        return s.digest(paths);
    }

    /** The complete download of this selection, or null: its marker and every file it lists at its size. */
    static RepositoryDownload.Result cached(RepoSnapshot s, ExpertSelection selection, Path dir) {
        JsonNode m = RepositoryDownload.readJson(dir.resolve(RepositoryDownload.MARKER));
        if (m == null || !s.commit().equals(m.path("commit").asText()) || !selection.describe().equals(m.path("selection").asText())) {
            return null;
        }
        long local = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = m.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            Path p = dir.resolve(f.getKey());
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != f.getValue().asLong()) {
                    return null;
                }
            } catch (IOException e) {
                return null;
            }
            local += f.getValue().asLong();
        }
        DownloadReport report = new DownloadReport(s.source(), s.commit(), selection.describe(), dir, 0, 0, local,
                m.path("checkpointBytes").asLong(), m.path("numShards").asInt(), 0, 0, 0, true);
        return new RepositoryDownload.Result(dir, report, m.path("digest").asText());
    }

    /** The snapshot a complete earlier download recorded for {@code revision}, or null. */
    static RepoSnapshot offlineSnapshot(Path repoDir, String repository, String revision) {
        try {
            Path ref = repoDir.resolve("refs").resolve(HubClient.encode(revision));
            if (!Files.isRegularFile(ref)) {
                return null;
            }
            String commit = Files.readString(ref).strip();
            Path commitDir = repoDir.resolve("snapshots").resolve(commit);
            try (Stream<Path> markers = Stream.concat(Stream.of(commitDir.resolve(RepositoryDownload.MARKER)),
                    Files.isDirectory(commitDir) ? Files.list(commitDir).map(d -> d.resolve(RepositoryDownload.MARKER)) : Stream.empty())) {
                for (Path p : markers.filter(Files::isRegularFile).toList()) {
                    JsonNode m = RepositoryDownload.readJson(p);
                    if (m != null && commit.equals(m.path("commit").asText())) {
                        List<RepoFile> files = new ArrayList<>();
                        for (JsonNode f : m.path("repository")) {
                            files.add(new RepoFile(f.path("path").asText(), f.path("size").asLong(),
                                    f.path("oid").isNull() ? null : f.path("oid").asText(), f.path("lfs").isNull() ? null : f.path("lfs").asText()));
                        }
                        return RepoSnapshot.of(repository, revision, commit, files);
                    }
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
