package io.moeoperator.server.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.engine.exec.ModelFormat;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.safetensors.HfConfig;
import io.moeoperator.engine.safetensors.SafetensorsCheckpoint;
import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.jboss.logging.Logger;

/**
 * A whole Hugging Face repository ({@code hf://org/name[@revision]} without {@code --model-file})
 * made into a local directory the engine opens like any Hugging Face directory.
 *
 * <p>Cache layout under {@code --model-cache}:
 * <pre>
 * org/name/refs/&lt;revision&gt;                  the commit the revision last resolved to (a later start without the hub uses it)
 * org/name/snapshots/&lt;commit&gt;/              config, tokenizer files, generation config, index; and the
 *                                            whole shards when one process needs every tensor
 * org/name/snapshots/&lt;commit&gt;/experts-0-3/  an expert-parallel rank's copy: those files again, its shards
 *                                            pruned to what it needs, and an index of what they hold
 * .../moe-download.json                      written last: the selection is complete
 * .../&lt;file&gt;.part, &lt;file&gt;.part.state        a download under way, resumed from its state
 * </pre>
 */
public final class RepositoryDownload {
    private static final Logger LOG = Logger.getLogger(RepositoryDownload.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The small files a transformers checkpoint is served with, downloaded whole when the repository has them. */
    static final List<String> SMALL_FILES = List.of(HfConfig.FILE, "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", SafetensorsCheckpoint.INDEX);
    static final String MARKER = "moe-download.json";

    /**
     * @param selection the selection for a model of N routed experts (config.json's), e.g. a rank's share
     * @param format    {@code --model-format} when given, else detected from the repository's files
     */
    public record Request(String repository, String revision, Path cache, Optional<ModelFormat> format,
                          IntFunction<ExpertSelection> selection, long chunkBytes) {}

    /** The directory to open, what it took, and the weights' identity for expert-parallel peers. */
    public record Result(Path dir, DownloadReport report, String digest) {}

    private final HubClient client;
    private final Request request;
    private final AtomicLong downloaded = new AtomicLong();

    private RepositoryDownload(HubClient client, Request request) {
        this.client = client;
        this.request = request;
    }

    public static Result run(HubClient client, Request request) {
        return new RepositoryDownload(client, request).run();
    }

    private Result run() {
        Path repoDir = request.cache().resolve(request.repository());
        RepoSnapshot snapshot = resolve(repoDir);
        checkFormat(snapshot);
        Path commitDir = repoDir.resolve("snapshots").resolve(snapshot.commit());
        try {
            Files.createDirectories(commitDir);
            for (String name : SMALL_FILES) {
                Optional<RepoFile> f = snapshot.file(name);
                if (f.isPresent()) {
                    smallFile(snapshot, f.get(), commitDir);
                }
            }
            Files.createDirectories(repoDir.resolve("refs"));
            Files.writeString(repoDir.resolve("refs").resolve(HubClient.encode(request.revision())), snapshot.commit());
        } catch (IOException e) {
            throw new ModelLoadException(snapshot.source() + ": cannot write the model cache " + commitDir + ": " + e.getMessage(), e);
        }
        ExpertSelection selection = request.selection().apply(numExperts(commitDir, snapshot));
        Path dir = selection.all() ? commitDir : commitDir.resolve(selection.dirName());
        try (FileChannel lockFile = FileChannel.open(commitDir.resolve(".lock-" + (selection.all() ? "all" : selection.dirName())),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lock(lockFile, snapshot, dir)) {
            Result cached = ShardDownloads.cached(snapshot, selection, dir);
            if (cached != null) {
                LOG.infof("Using %s from the cache: %s", snapshot.source(), cached.report().describe());
                return cached;
            }
            Files.createDirectories(dir);
            if (!selection.all()) {
                for (String name : SMALL_FILES) {
                    if (!name.equals(SafetensorsCheckpoint.INDEX) && Files.isRegularFile(commitDir.resolve(name))) {
                        Files.copy(commitDir.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Result result = new ShardDownloads(client, snapshot, selection, commitDir, dir, request.chunkBytes(), downloaded).run();
            LOG.infof("Downloaded %s", result.report().describe());
            return result;
        } catch (IOException e) {
            throw new ModelLoadException(snapshot.source() + ": cannot write the model cache " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The revision's commit and files from the hub, retried a few times; when the hub cannot be
     * reached, the commit this revision resolved to before, if that download is complete.
     */
    private RepoSnapshot resolve(Path repoDir) {
        String source = "hf://" + request.repository() + "@" + request.revision();
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                RepoSnapshot s = client.snapshot(request.repository(), request.revision());
                LOG.infof("%s is commit %s: %d files", source, s.commit(), s.files().size());
                return s;
            } catch (IOException e) {
                last = e;
                LOG.warnf("%s: cannot reach the hub at %s: %s (attempt %d of 3)", source, client.host(), e.getMessage(), attempt);
                if (attempt < 3) {
                    sleep(1000L << (attempt - 1));
                }
            }
        }
        RepoSnapshot offline = ShardDownloads.offlineSnapshot(repoDir, request.repository(), request.revision());
        if (offline == null) {
            throw new ModelLoadException(source + ": cannot reach the hub at " + client.host() + " (" + last.getMessage()
                    + ") and the cache has no complete download of this revision; check HF_ENDPOINT and the network", last);
        }
        LOG.warnf("%s: the hub is unreachable; serving commit %s, which this revision was when it was downloaded", source,
                offline.commit());
        return offline;
    }

    /** Refuses a repository this server cannot serve whole, naming what to pass instead. */
    private void checkFormat(RepoSnapshot s) {
        List<String> gguf = s.pathsEndingWith(".gguf");
        boolean safetensors = s.file(SafetensorsCheckpoint.INDEX).isPresent() || s.file(SafetensorsCheckpoint.SINGLE).isPresent();
        ModelFormat format = request.format().orElse(safetensors ? ModelFormat.SAFETENSORS : gguf.isEmpty() ? null : ModelFormat.GGUF);
        String listed = gguf.size() <= 20 ? String.join(", ", gguf) : String.join(", ", gguf.subList(0, 20)) + ", ...";
        if (format == ModelFormat.GGUF) {
            throw new ModelLoadException(s.source() + (safetensors ? " is served as GGUF (--model-format gguf)" : " holds GGUF files"
                    + " and no safetensors checkpoint") + ": choose the file to serve with --model-file"
                    + (gguf.isEmpty() ? " (the repository has no .gguf file)" : " (" + listed + ")"));
        }
        if (!safetensors) {
            throw new ModelLoadException(s.source() + " has neither " + SafetensorsCheckpoint.SINGLE + " nor "
                    + SafetensorsCheckpoint.INDEX + (gguf.isEmpty() ? "" : " (it has GGUF files: " + listed + "; pass one with --model-file)")
                    + ": not a checkpoint this server can serve");
        }
        if (s.file(HfConfig.FILE).isEmpty()) {
            throw new ModelLoadException(s.source() + " has safetensors weights but no " + HfConfig.FILE
                    + ": not a transformers checkpoint (the hyper-parameters are missing)");
        }
    }

    private static int numExperts(Path commitDir, RepoSnapshot s) {
        try {
            return HfConfig.read(commitDir).model().numExperts();
        } catch (ModelFileException e) {
            throw new ModelLoadException(s.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A small file whole, in memory: checked against the tree's hash, then renamed into place under a
     * name of its own, so processes downloading it at once never write the same file.
     */
    private void smallFile(RepoSnapshot s, RepoFile f, Path dir) throws IOException {
        Path target = dir.resolve(f.path());
        if (Files.isRegularFile(target) && Files.size(target) == f.size()) {
            return; // hash-checked when it was written
        }
        HubFileReader reader = new HubFileReader(client, s, f, downloaded);
        byte[] bytes = new byte[Math.toIntExact(f.size())];
        TransferProgress progress = TransferProgress.start(reader.what(), f.size(), 0, "");
        if (f.size() > 0) {
            reader.read(0, f.size(), (offset, b, n) -> System.arraycopy(b, 0, bytes, (int) offset, n), 0, progress);
        }
        Path tmp = dir.resolve(f.path() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.write(tmp, bytes);
            FileHashes.verify(reader.what(), f, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        progress.finish("");
    }

    /** The selection's lock; another process holding it (same experts, same cache) is waited for, with a line saying so. */
    private static FileLock lock(FileChannel ch, RepoSnapshot s, Path dir) throws IOException {
        FileLock lock = ch.tryLock();
        if (lock == null) {
            LOG.infof("%s: another process is downloading into %s; waiting for it to finish", s.source(), dir);
            lock = ch.lock();
        }
        return lock;
    }

    static JsonNode readJson(Path p) {
        try {
            return JSON.readTree(Files.readAllBytes(p));
        } catch (IOException e) {
            return null;
        }
    }

    static ObjectNode newJson() {
        return JSON.createObjectNode();
    }

    static byte[] jsonBytes(JsonNode n) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("interrupted while waiting for the hub", e);
        }
    }
}
