package io.moeoperator.server.model.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A repository pinned to one commit: the revision the user named resolved once, so a branch that
 * moves during a download cannot mix files of two commits.
 *
 * @param repository {@code org/name}
 * @param revision   what the user asked for ({@code main}, a tag, a commit)
 * @param commit     the 40-hex commit the revision pointed at
 * @param files      every file of the commit by path
 */
public record RepoSnapshot(String repository, String revision, String commit, Map<String, RepoFile> files) {
    public RepoSnapshot {
        files = Map.copyOf(files);
    }

    static RepoSnapshot of(String repository, String revision, String commit, List<RepoFile> files) {
        return new RepoSnapshot(repository, revision, commit,
                files.stream().collect(Collectors.toMap(RepoFile::path, Function.identity(), (a, b) -> a, TreeMap::new)));
    }

    public Optional<RepoFile> file(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /** Paths ending in {@code suffix}, sorted. */
    public List<String> pathsEndingWith(String suffix) {
        return files.keySet().stream().filter(p -> p.endsWith(suffix)).sorted().toList();
    }

    /** {@code hf://org/name@revision}, as the user wrote it. */
    public String source() {
        return "hf://" + repository + "@" + revision;
    }

    /** The commit's first 12 hex digits, for log lines. */
    public String shortCommit() {
        return commit.length() > 12 ? commit.substring(0, 12) : commit;
    }

    /**
     * The identity of the weights in {@code paths}: SHA-256 over each file's path, size and content
     * hash as the hub reports them (lfs.oid is the content's SHA-256). Every expert-parallel rank of a
     * download gets the same value though each holds different tensors, which a digest of the local
     * files could not give.
     */
    public String digest(Collection<String> paths) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
        }
        sha.update("moe-hub-digest/1\n".getBytes(StandardCharsets.UTF_8));
        for (String p : new java.util.TreeSet<>(paths)) {
            RepoFile f = files.get(p);
            String line = p + " " + (f == null ? "absent" : f.size() + " " + (f.isLfs() ? f.lfsSha256() : f.gitOid())) + "\n";
            sha.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }
}
