package io.moeoperator.server.model;

import io.moeoperator.server.model.hub.HubClient;
import io.moeoperator.server.model.hub.HubFileDownload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * A GGUF file in a Hugging Face repository, {@code hf://org/repo[@revision]} plus {@code --model-file},
 * downloaded once into a cache directory ({@code <cache>/<org>/<repo>/<revision>/<file>}) and served
 * from there; a second start finds it and downloads nothing. A whole repository (no
 * {@code --model-file}) is {@link io.moeoperator.server.model.hub.RepositoryDownload}'s.
 */
public record HuggingFaceModel(String repository, String revision, String file) {
    private static final Logger LOG = Logger.getLogger(HuggingFaceModel.class);
    private static final Pattern URI_FORM = Pattern.compile("hf://([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._/-]*))?");
    private static final Pattern FILE_FORM = Pattern.compile("[A-Za-z0-9._-][A-Za-z0-9._/-]*");

    public static boolean isHuggingFace(String model) {
        return model.startsWith("hf://");
    }

    /** {@code hf://org/repo[@revision]}: the repository and the revision ({@code main} when none is given). */
    public record Reference(String repository, String revision) {}

    /** @throws ModelLoadException saying what a valid reference looks like */
    public static Reference reference(String uri) {
        Matcher m = URI_FORM.matcher(uri);
        if (!m.matches()) {
            throw new ModelLoadException("--model " + uri + ": a Hugging Face model is hf://org/repo or hf://org/repo@revision");
        }
        return new Reference(m.group(1), m.group(2) == null ? "main" : m.group(2));
    }

    /** A GGUF file of a repository. @throws ModelLoadException saying what a valid reference looks like */
    public static HuggingFaceModel parse(String uri, String name) {
        Reference ref = reference(uri);
        if (!FILE_FORM.matcher(name).matches() || name.contains("..")) {
            throw new ModelLoadException("--model-file " + name + " is not a file name inside the repository");
        }
        return new HuggingFaceModel(ref.repository(), ref.revision(), name);
    }

    public Path cachePath(Path cache) {
        return cache.resolve(repository).resolve(revision).resolve(file);
    }

    /**
     * The cached file, downloaded first when absent: resumed after a drop or a restart, its size and
     * hash checked against the hub's tree (see {@link HubFileDownload}).
     */
    public Path fetch(Path cache, HubClient client, long chunkBytes) {
        Path target = cachePath(cache);
        if (Files.isRegularFile(target)) {
            LOG.infof("Using %s from the cache (%s)", this, target);
            return target;
        }
        long t0 = System.nanoTime();
        long bytes = HubFileDownload.run(client, repository, revision, file, target, chunkBytes);
        LOG.infof("Downloaded %s: %d bytes in %.1f s into %s", this, bytes, (System.nanoTime() - t0) / 1e9, target);
        return target;
    }

    @Override
    public String toString() {
        return "hf://" + repository + "@" + revision + " " + file;
    }
}
