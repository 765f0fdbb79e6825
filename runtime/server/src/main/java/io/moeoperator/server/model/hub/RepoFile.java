package io.moeoperator.server.model.hub;

/**
 * One file of a repository at a commit, as the hub's tree API lists it.
 *
 * @param path      the file's path in the repository
 * @param size      its size in bytes (for LFS files the object's, not the pointer's)
 * @param gitOid    the git blob SHA-1 the hub reports as {@code oid}: of the content for ordinary files,
 *                  of the pointer file for LFS files
 * @param lfsSha256 for LFS files the SHA-256 of the content ({@code lfs.oid}), else null
 */
public record RepoFile(String path, long size, String gitOid, String lfsSha256) {
    public RepoFile {
        if (size < 0) {
            throw new IllegalArgumentException("file " + path + " has a negative size " + size);
        }
    }

    public boolean isLfs() {
        return lfsSha256 != null;
    }

    /** What the content can be checked against: {@code sha256 <hex>} or {@code git-sha1 <hex>}. */
    public String hashDescription() {
        return isLfs() ? "sha256 " + lfsSha256 : "git blob sha1 " + gitOid;
    }
}
