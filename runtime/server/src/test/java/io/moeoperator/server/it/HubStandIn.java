package io.moeoperator.server.it;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the Hugging Face Hub, over real HTTP/1.1 sockets: the revision and tree APIs
 * (paged with {@code Link: rel="next"}), {@code resolve} URLs answering HEAD and GET, LFS files
 * redirected (302) to a second server on another port as the hub redirects to its CDN, single byte
 * ranges with 206 and 416, gated repositories (401 without the token, 403 with another), and
 * faults a test switches on: a connection dropped mid-body, a request held until released, a tree
 * listing a wrong size or hash, a listed file that is not there. It counts the file bytes it sends.
 */
public final class HubStandIn implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    /** One request as received: which server, method, path, Range header, Authorization header. */
    public record Seen(String server, String method, String path, String range, String auth) {}

    private record HubFile(String path, byte[] bytes, boolean lfs, String sha256, String gitOid) {}

    private record Repo(String commit, String token, Map<String, HubFile> files, java.util.Set<String> revisions) {
        boolean has(String revision) {
            return revision.equals(commit) || revisions.contains(revision);
        }
    }

    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, HubFile> lfsObjects = new ConcurrentHashMap<>();
    private final ServerSocket hub;
    private final ServerSocket cdn;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Bytes of file bodies sent (not API answers): what clients downloaded. */
    public final AtomicLong fileBytes = new AtomicLong();

    /** Tree entries per page. */
    public volatile int pageSize = 4;
    /** The tree lists this size (path -> size) instead of the file's. */
    public final Map<String, Long> treeSize = new ConcurrentHashMap<>();
    /** The tree lists this hash (path -> hex) instead of the file's. */
    public final Map<String, String> treeHash = new ConcurrentHashMap<>();
    /** {@code org/name/path}: listed in the tree, but resolve answers 404. */
    public final java.util.Set<String> vanished = ConcurrentHashMap.newKeySet();
    /** Bodies of this file end after {@link #dropAfter} bytes, the connection closed, {@link #drops} times. */
    public volatile String dropPath;
    public volatile long dropAfter;
    public final AtomicInteger drops = new AtomicInteger();
    /** The {@link #stallOnRequest}-th ranged GET of this file waits for {@link #release} after counting down {@link #stalled}. */
    public volatile String stallPath;
    public volatile int stallOnRequest;
    public final CountDownLatch stalled = new CountDownLatch(1);
    public final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger rangedGets = new AtomicInteger();

    private HubStandIn() throws IOException {
        hub = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        cdn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(() -> accept(hub, false));
        threads.submit(() -> accept(cdn, true));
    }

    public static HubStandIn start() throws IOException {
        return new HubStandIn();
    }

    /** HF_ENDPOINT for clients. */
    public String endpoint() {
        return "http://127.0.0.1:" + hub.getLocalPort();
    }

    /**
     * Publishes every file under {@code dir} (and {@code extra}) as repository {@code id} at one
     * commit; *.safetensors and *.gguf as LFS files. {@code token}: null for a public repository.
     */
    public String addRepo(String id, Path dir, String token, Map<String, byte[]> extra) throws IOException {
        Map<String, HubFile> files = new TreeMap<>();
        if (dir != null) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String rel = dir.relativize(p).toString().replace('\\', '/');
                    files.put(rel, file(rel, Files.readAllBytes(p)));
                }
            }
        }
        extra.forEach((k, v) -> files.put(k, file(k, v)));
        StringBuilder all = new StringBuilder(id);
        files.values().forEach(f -> all.append(f.path()).append(f.lfs() ? f.sha256() : f.gitOid()));
        String commit = Hashes.hex("SHA-1", all.toString().getBytes(StandardCharsets.UTF_8));
        files.values().stream().filter(HubFile::lfs).forEach(f -> lfsObjects.put(f.sha256(), f));
        repos.put(id, new Repo(commit, token, files, ConcurrentHashMap.newKeySet()));
        repos.get(id).revisions().add("main");
        return commit;
    }

    private static HubFile file(String path, byte[] bytes) {
        boolean lfs = path.endsWith(".safetensors") || path.endsWith(".gguf");
        String sha256 = Hashes.hex("SHA-256", bytes);
        String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " + bytes.length + "\n";
        return new HubFile(path, bytes, lfs, sha256, Hashes.gitBlobSha1(lfs ? pointer.getBytes(StandardCharsets.UTF_8) : bytes));
    }

    /** Makes {@code revision} (a branch or tag) point at the repository's commit, as {@code main} does. */
    public void addRevision(String id, String revision) {
        repos.get(id).revisions().add(revision);
    }

    /** Requests for {@code path} (the resolve URL's or the CDN object's file). */
    public List<Seen> requestsFor(String file) {
        return seen.stream().filter(s -> s.path().endsWith("/" + file) || s.path().endsWith("/" + sha256Of(file))).toList();
    }

    private String sha256Of(String file) {
        return repos.values().stream().map(r -> r.files().get(file)).filter(f -> f != null && f.lfs()).map(HubFile::sha256)
                .findFirst().orElse("-");
    }

    private void accept(ServerSocket server, boolean isCdn) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.submit(() -> serve(s, isCdn));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s, boolean isCdn) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            String requestLine = line(in);
            if (requestLine == null || requestLine.isEmpty()) {
                return;
            }
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String h; (h = line(in)) != null && !h.isEmpty(); ) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).strip(), h.substring(colon + 1).strip());
            }
            String[] parts = requestLine.split(" ");
            URI uri = URI.create(parts[1]);
            seen.add(new Seen(isCdn ? "cdn" : "hub", parts[0], uri.getRawPath(), headers.get("Range"), headers.get("Authorization")));
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            if (isCdn) {
                cdn(parts[0], uri, headers, out);
            } else {
                hub(parts[0], uri, headers, out);
            }
            out.flush();
        } catch (IOException | InterruptedException clientWentAway) {
            // the client closed the connection or the test stopped the stand-in
        }
    }

    private void hub(String method, URI uri, Map<String, String> headers, OutputStream out) throws IOException, InterruptedException {
        String path = URLDecoder.decode(uri.getRawPath(), StandardCharsets.UTF_8);
        Matcher api = Pattern.compile("/api/models/([^/]+/[^/]+)/(revision|tree)/([^/]+)").matcher(uri.getRawPath());
        if (api.matches()) {
            Repo repo = repos.get(api.group(1));
            String revision = URLDecoder.decode(api.group(3), StandardCharsets.UTF_8);
            if (repo == null) {
                respond(out, 404, Map.of("X-Error-Code", "RepoNotFound", "X-Error-Message", "Repository not found"), new byte[0], method);
            } else if (!repo.has(revision)) {
                respond(out, 404, Map.of("X-Error-Code", "RevisionNotFound", "X-Error-Message", "Invalid rev id: " + revision),
                        new byte[0], method);
            } else if (api.group(2).equals("revision")) {
                respond(out, 200, Map.of("Content-Type", "application/json"), ("{\"id\":\"" + api.group(1) + "\",\"sha\":\""
                        + repo.commit() + "\"}").getBytes(StandardCharsets.UTF_8), method);
            } else {
                tree(repo, api.group(1), revision, uri, method, out);
            }
            return;
        }
        Matcher resolve = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)").matcher(path);
        Repo repo = resolve.matches() ? repos.get(resolve.group(1)) : null;
        HubFile f = repo == null ? null : repo.files().get(resolve.group(3));
        if (repo != null && repo.token() != null && !("Bearer " + repo.token()).equals(headers.get("Authorization"))) {
            int status = headers.containsKey("Authorization") ? 403 : 401;
            respond(out, status, Map.of("X-Error-Code", "GatedRepo", "X-Error-Message", "Access to model " + resolve.group(1)
                    + " is restricted"), new byte[0], method);
        } else if (f == null || vanished.contains(resolve.group(1) + "/" + f.path())
                || !repo.has(resolve.group(2))) {
            respond(out, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Error-Message", "Entry not found"), new byte[0], method);
        } else if (f.lfs()) {
            respond(out, 302, Map.of("Location", "http://127.0.0.1:" + cdn.getLocalPort() + "/repos/ab/cd/" + f.sha256()
                    + "?X-Amz-Signature=stand-in", "X-Linked-Size", Long.toString(f.bytes().length), "X-Repo-Commit", repo.commit(),
                    "X-Linked-Etag", "\"" + f.sha256() + "\""), new byte[0], method);
        } else {
            data(f, headers, method, out);
        }
    }

    private void cdn(String method, URI uri, Map<String, String> headers, OutputStream out) throws IOException, InterruptedException {
        HubFile f = lfsObjects.get(uri.getRawPath().substring(uri.getRawPath().lastIndexOf('/') + 1));
        if (headers.containsKey("Authorization")) { // as S3 answers a signed URL that also carries a token
            respond(out, 400, Map.of(), "Only one auth mechanism allowed".getBytes(StandardCharsets.UTF_8), method);
        } else if (f == null || uri.getRawQuery() == null) {
            respond(out, 403, Map.of(), new byte[0], method);
        } else {
            data(f, headers, method, out);
        }
    }

    private void tree(Repo repo, String id, String revision, URI uri, String method, OutputStream out) throws IOException {
        List<HubFile> files = new ArrayList<>(repo.files().values());
        int from = uri.getRawQuery() != null && uri.getRawQuery().contains("cursor=")
                ? Integer.parseInt(uri.getRawQuery().replaceAll(".*cursor=(\\d+).*", "$1")) : 0;
        int to = Math.min(files.size(), from + pageSize);
        StringBuilder json = new StringBuilder("[");
        for (HubFile f : files.subList(from, to)) {
            long size = treeSize.getOrDefault(f.path(), (long) f.bytes().length);
            String hash = treeHash.getOrDefault(f.path(), f.lfs() ? f.sha256() : f.gitOid());
            json.append(json.length() > 1 ? "," : "").append("{\"type\":\"file\",\"oid\":\"").append(f.lfs() ? f.gitOid() : hash)
                    .append("\",\"size\":").append(size);
            if (f.lfs()) {
                json.append(",\"lfs\":{\"oid\":\"").append(hash).append("\",\"size\":").append(size).append(",\"pointerSize\":134}");
            }
            json.append(",\"path\":\"").append(f.path()).append("\"}");
        }
        json.append("]");
        Map<String, String> headers = new TreeMap<>(Map.of("Content-Type", "application/json"));
        if (to < files.size()) {
            headers.put("Link", "<" + endpoint() + "/api/models/" + id + "/tree/" + revision + "?recursive=true&cursor=" + to
                    + ">; rel=\"next\"");
        }
        respond(out, 200, headers, json.toString().getBytes(StandardCharsets.UTF_8), method);
    }

    /** A file's bytes, whole or one range, with the faults a test switched on. */
    private void data(HubFile f, Map<String, String> headers, String method, OutputStream out) throws IOException, InterruptedException {
        long size = f.bytes().length;
        long from = 0;
        long to = size - 1;
        String range = headers.get("Range");
        Map<String, String> h = new TreeMap<>(Map.of("Accept-Ranges", "bytes", "ETag", "\"" + (f.lfs() ? f.sha256() : f.gitOid()) + "\""));
        int status = 200;
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (!m.matches() || Long.parseLong(m.group(1)) >= size) {
                respond(out, 416, Map.of("Content-Range", "bytes */" + size), new byte[0], method);
                return;
            }
            from = Long.parseLong(m.group(1));
            to = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
            status = 206;
            h.put("Content-Range", "bytes " + from + "-" + to + "/" + size);
            if (method.equals("GET") && f.path().equals(stallPath) && rangedGets.incrementAndGet() == stallOnRequest) {
                stalled.countDown();
                release.await();
            }
        }
        h.put("Content-Length", Long.toString(to - from + 1));
        head(out, status, h);
        if (method.equals("HEAD")) {
            return;
        }
        boolean drop = f.path().equals(dropPath) && drops.get() > 0 && to - from + 1 > dropAfter && drops.getAndDecrement() > 0;
        long end = drop ? from + dropAfter : to + 1;
        for (long at = from; at < end; ) {
            int n = (int) Math.min(8192, end - at);
            out.write(f.bytes(), (int) at, n);
            fileBytes.addAndGet(n);
            at += n;
        }
        out.flush(); // on a drop the socket closes now, short of Content-Length
    }

    private static void respond(OutputStream out, int status, Map<String, String> headers, byte[] body, String method) throws IOException {
        Map<String, String> h = new TreeMap<>(headers);
        h.put("Content-Length", Integer.toString(body.length));
        head(out, status, h);
        if (!method.equals("HEAD")) {
            out.write(body);
        }
    }

    private static void head(OutputStream out, int status, Map<String, String> headers) throws IOException {
        StringBuilder sb = new StringBuilder("HTTP/1.1 " + status + " " + (status < 300 ? "OK" : status < 400 ? "Found" : "Error") + "\r\n");
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        sb.append("Connection: close\r\n\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        release.countDown();
        hub.close();
        cdn.close();
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "hub stand-in at %s (%d requests, %d body bytes)", endpoint(), seen.size(), fileBytes.get());
    }
}
