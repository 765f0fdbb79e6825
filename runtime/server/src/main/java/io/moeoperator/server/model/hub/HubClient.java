package io.moeoperator.server.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hugging Face Hub's HTTP interface as downloads use it: {@code GET /api/models/{repo}/revision/{rev}}
 * (the commit a revision points at), {@code GET /api/models/{repo}/tree/{commit}?recursive=true} (each
 * file's size and hashes, paged by {@code Link: rel="next"}), {@code HEAD /{repo}/resolve/{commit}/{path}}
 * (where the bytes are: the hub itself, or a redirect to its CDN) and range GETs there.
 *
 * <p>Redirects are followed by hand: within the hub with the token, to another host (the CDN's signed
 * URL) without it, as huggingface_hub does; a signed URL rejects a second credential. Faults the user
 * must fix (401, 403, 404, a size the tree does not list) are {@link ModelLoadException}s saying what to
 * do; anything else is an {@link IOException} the caller may retry.
 */
public final class HubClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"next\"");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_JSON_BYTES = 64 << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final String endpoint;
    private final Optional<String> token;
    private final Duration readTimeout;

    /** Where a file's bytes are served, and whether the token goes along (only to the hub itself). */
    public record Location(URI uri, boolean withToken) {}

    /** A CDN location that no longer answers (its signature expired): locate the file again. */
    static final class StaleLocationException extends IOException {
        StaleLocationException(String message) {
            super(message);
        }
    }

    public HubClient(String endpoint, Optional<String> token, Duration readTimeout) {
        this.endpoint = endpoint.replaceAll("/+$", "");
        this.token = token.filter(t -> !t.isBlank());
        this.readTimeout = readTimeout;
    }

    public String host() {
        return URI.create(endpoint).getHost();
    }

    /** The commit {@code revision} points at, and that commit's files. */
    public RepoSnapshot snapshot(String repository, String revision) throws IOException {
        String source = "hf://" + repository + "@" + revision;
        JsonNode info = getJson(URI.create(endpoint + "/api/models/" + repository + "/revision/" + encode(revision)), source);
        String commit = info.path("sha").asText("");
        if (!commit.matches("[0-9a-f]{40}")) {
            throw new ModelLoadException(source + ": the hub's revision API gave no commit (sha '" + commit + "'); is "
                    + endpoint + " a Hugging Face Hub?");
        }
        List<RepoFile> files = new ArrayList<>();
        URI page = URI.create(endpoint + "/api/models/" + repository + "/tree/" + commit + "?recursive=true");
        while (page != null) {
            HttpURLConnection c = open(page, "GET", true, null);
            JsonNode entries = readJson(c, page, source);
            for (JsonNode e : entries) {
                if (e.path("type").asText().equals("file")) {
                    JsonNode lfs = e.path("lfs");
                    files.add(new RepoFile(e.path("path").asText(), lfs.isObject() ? lfs.path("size").asLong() : e.path("size").asLong(),
                            e.path("oid").asText(null), lfs.isObject() ? lfs.path("oid").asText(null) : null));
                }
            }
            page = next(page, c.getHeaderField("Link"));
        }
        return RepoSnapshot.of(repository, revision, commit, files);
    }

    /** HEAD on the file's resolve URL, following the hub's redirects, with its size checked against the tree's. */
    public Location locate(RepoSnapshot snapshot, RepoFile file) throws IOException {
        String what = what(snapshot, file);
        URI uri = URI.create(endpoint + "/" + snapshot.repository() + "/resolve/" + snapshot.commit() + "/" + encodePath(file.path()));
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = open(uri, "HEAD", true, null);
            int status = c.getResponseCode();
            String linkedSize = c.getHeaderField("X-Linked-Size");
            String location = c.getHeaderField("Location");
            c.disconnect();
            if (status >= 300 && status < 400 && location != null) {
                URI next = uri.resolve(location);
                if (!sameOrigin(uri, next)) {
                    checkSize(what, file, linkedSize);
                    return new Location(next, false);
                }
                uri = next;
            } else if (status == 200) {
                checkSize(what, file, linkedSize != null ? linkedSize : c.getHeaderField("Content-Length"));
                return new Location(uri, true);
            } else {
                throw failure(status, uri, what, c.getHeaderField("X-Error-Message"));
            }
        }
        throw new ModelLoadException(what + ": more than " + MAX_REDIRECTS + " redirects from " + uri.getHost());
    }

    /**
     * Bytes [from, from + length) of the file at {@code location}: a 206 whose Content-Range must name
     * that range of a file of the tree's size. The stream may end early when the connection drops.
     */
    public InputStream openRange(Location location, RepoSnapshot snapshot, RepoFile file, long from, long length) throws IOException {
        String what = what(snapshot, file);
        HttpURLConnection c = open(location.uri(), "GET", location.withToken(), "bytes=" + from + "-" + (from + length - 1));
        int status = c.getResponseCode();
        if (status == 206) {
            Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
            if (!m.matches() || Long.parseLong(m.group(1)) != from || Long.parseLong(m.group(2)) != from + length - 1) {
                c.disconnect();
                throw new IOException(what + ": asked for bytes " + from + "-" + (from + length - 1) + ", got Content-Range "
                        + c.getHeaderField("Content-Range"));
            }
            checkSize(what, file, m.group(3));
            return c.getInputStream();
        }
        if (status == 200) { // a server that ignores Range sends the whole file: skip to the range
            checkSize(what, file, c.getHeaderField("Content-Length"));
            InputStream in = c.getInputStream();
            in.skipNBytes(from);
            return in;
        }
        c.disconnect();
        if (!location.withToken() && (status == 401 || status == 403 || status == 404 || status == 410)) {
            throw new StaleLocationException(what + ": HTTP " + status + " from " + location.uri().getHost());
        }
        if (status == 416) {
            throw new ModelLoadException(what + ": bytes " + from + "-" + (from + length - 1) + " are past the end of the file "
                    + location.uri().getHost() + " serves (HTTP 416), though the hub's tree lists " + file.size() + " bytes");
        }
        throw failure(status, location.uri(), what, c.getHeaderField("X-Error-Message"));
    }

    /** The whole body of a small file (config, tokenizer, index). */
    public InputStream openWhole(Location location, RepoSnapshot snapshot, RepoFile file) throws IOException {
        String what = what(snapshot, file);
        HttpURLConnection c = open(location.uri(), "GET", location.withToken(), null);
        int status = c.getResponseCode();
        if (status == 200) {
            checkSize(what, file, c.getHeaderField("Content-Length"));
            return c.getInputStream();
        }
        c.disconnect();
        if (!location.withToken() && (status == 401 || status == 403 || status == 404 || status == 410)) {
            throw new StaleLocationException(what + ": HTTP " + status + " from " + location.uri().getHost());
        }
        throw failure(status, location.uri(), what, c.getHeaderField("X-Error-Message"));
    }

    static String what(RepoSnapshot snapshot, RepoFile file) {
        return snapshot.source() + " file " + file.path();
    }

    private JsonNode getJson(URI uri, String source) throws IOException {
        return readJson(open(uri, "GET", true, null), uri, source);
    }

    private JsonNode readJson(HttpURLConnection c, URI uri, String source) throws IOException {
        int status = c.getResponseCode();
        if (status != 200) {
            c.disconnect();
            throw failure(status, uri, source, c.getHeaderField("X-Error-Message"));
        }
        try (InputStream in = c.getInputStream()) {
            byte[] body = in.readNBytes(MAX_JSON_BYTES);
            return JSON.readTree(body);
        }
    }

    private HttpURLConnection open(URI uri, String method, boolean withToken, String range) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) readTimeout.toMillis()); // a stalled transfer fails and is resumed
        c.setRequestMethod(method);
        c.setRequestProperty("User-Agent", "moe-operator");
        c.setRequestProperty("Accept-Encoding", "identity"); // byte ranges of the file, not of a compressed body
        if (withToken) {
            token.ifPresent(t -> c.setRequestProperty("Authorization", "Bearer " + t));
        }
        if (range != null) {
            c.setRequestProperty("Range", range);
        }
        return c;
    }

    /**
     * @return the fault of a 429 or 5xx, which is worth retrying
     * @throws ModelLoadException for a definitive answer (401, 403, 404, ...), saying what to do
     */
    private IOException failure(int status, URI uri, String what, String hubMessage) {
        String from = " (HTTP " + status + " from " + uri.getHost() + (hubMessage == null ? "" : ": " + hubMessage) + ")";
        switch (status) {
            case 401, 403 -> throw new ModelLoadException(what + " is gated or private" + from + ": " + (token.isPresent()
                    ? "the token in HF_TOKEN has no access to it (accept the model's terms on its page with that account)"
                    : "set HF_TOKEN (on Kubernetes: spec.hfTokenSecret)"));
            case 404 -> throw new ModelLoadException(what + ": no such repository, revision or file" + from
                    + "; check the name and revision" + (token.isPresent() ? "" : ", or set HF_TOKEN if the repository is private"));
            case 429, 500, 502, 503, 504 -> {
                return new IOException(what + ": HTTP " + status + " from " + uri.getHost());
            }
            default -> throw new ModelLoadException(what + ": unexpected answer" + from);
        }
    }

    private static void checkSize(String what, RepoFile file, String header) {
        if (header == null) {
            return;
        }
        long size;
        try {
            size = Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            return;
        }
        if (size != file.size()) {
            throw new HubIntegrityException(what + ": the server has " + size + " bytes but the hub's tree lists " + file.size()
                    + " (a changed or broken upload); nothing of it is used");
        }
    }

    private static URI next(URI page, String link) {
        if (link == null) {
            return null;
        }
        Matcher m = NEXT.matcher(link);
        return m.find() ? page.resolve(m.group(1)) : null;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** A revision as one path segment: branch names may hold '/' (refs/pr/1), encoded as %2F. */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String encodePath(String path) {
        return String.join("/", java.util.Arrays.stream(path.split("/", -1)).map(HubClient::encode).toList());
    }
}
