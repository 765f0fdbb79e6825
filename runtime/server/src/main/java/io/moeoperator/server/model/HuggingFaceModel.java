package io.moeoperator.server.model;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
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

    URI url(String endpoint) {
        String base = endpoint.replaceAll("/+$", "");
        return URI.create(base + "/" + repository + "/resolve/" + URLEncoder.encode(revision, StandardCharsets.UTF_8)
                .replace("%2F", "/") + "/" + file);
    }

    /** The cached file, downloading it first when absent. */
    public Path fetch(Path cache, String endpoint, Optional<String> token) {
        Path target = cachePath(cache);
        if (Files.isRegularFile(target)) {
            LOG.infof("Using %s from the cache (%s)", this, target);
            return target;
        }
        URI url = url(endpoint);
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET();
        token.filter(t -> !t.isBlank()).ifPresent(t -> request.header("Authorization", "Bearer " + t));
        try {
            Files.createDirectories(target.getParent());
            Path partial = target.resolveSibling(target.getFileName() + ".part");
            LOG.infof("Downloading %s from %s", this, url);
            long t0 = System.nanoTime();
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                switch (response.statusCode()) {
                    case 200 -> Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
                    case 401, 403 -> throw new ModelLoadException(this + " is gated or private (HTTP " + response.statusCode()
                            + " from " + url.getHost() + "): " + (token.isPresent() ? "the token in HF_TOKEN has no access to it"
                            : "set HF_TOKEN (on Kubernetes: spec.hfTokenSecret)"));
                    case 404 -> throw new ModelLoadException(this + ": no such repository, revision or file (HTTP 404 from " + url + ")");
                    default -> throw new ModelLoadException(this + ": HTTP " + response.statusCode() + " from " + url);
                }
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.infof("Downloaded %s: %.1f MB in %.1f s", this, Files.size(target) / 1e6, (System.nanoTime() - t0) / 1e9);
            return target;
        } catch (IOException e) {
            throw new ModelLoadException(this + ": download from " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException(this + ": download interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "hf://" + repository + "@" + revision + " " + file;
    }
}
