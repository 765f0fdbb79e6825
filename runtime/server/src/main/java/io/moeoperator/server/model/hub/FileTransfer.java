package io.moeoperator.server.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * One local file filled from a remote one: the whole file, or a prefix written here followed by
 * chosen ranges of the remote file (a pruned safetensors shard: its new header, then the kept
 * tensors' bytes). The bytes go to {@code <file>.part}; {@code <file>.part.state} records how many
 * of the plan's remote bytes are in it, saved after every chunk (one range request of at most
 * {@code chunkBytes}) and before every retry, after the data is forced to disk. A dropped connection
 * resumes within the process; a restarted process reads the state and resumes from there, provided
 * the plan is the same (a digest of the source, the prefix and the ranges). The finished file is
 * checked and only then renamed to its name, so a file under its final name is always whole.
 */
final class FileTransfer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code length} bytes from {@code remoteOffset} of the remote file, written at {@code localOffset}. */
    record Segment(long remoteOffset, long localOffset, long length) {}

    /** What to write: {@code prefix} at 0, then the segments; the file ends at {@code localSize}. */
    record Plan(byte[] prefix, List<Segment> segments, long localSize) {
        static Plan whole(long size) {
            return new Plan(new byte[0], size == 0 ? List.of() : List.of(new Segment(0, 0, size)), size);
        }

        long remoteBytes() {
            return segments.stream().mapToLong(Segment::length).sum();
        }

        /** Where the first {@code done} remote bytes end in the local file. */
        long localEnd(long done) {
            long end = prefix.length;
            long cum = 0;
            for (Segment s : segments) {
                if (cum >= done) {
                    break;
                }
                end = s.localOffset() + Math.min(s.length(), done - cum);
                cum += s.length();
            }
            return end;
        }
    }

    private FileTransfer() {}

    /**
     * Fills {@code target} by {@code plan}, runs {@code check} on the finished bytes (it throws a
     * {@link HubIntegrityException} when they are wrong, and then the partial file and its state are
     * deleted) and renames it into place.
     */
    static void run(HubFileReader reader, String commit, Path target, Plan plan, long chunkBytes, String detail, Consumer<Path> check) {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Path state = target.resolveSibling(target.getFileName() + ".part.state");
        String planId = planId(reader, commit, plan);
        TransferProgress progress;
        try {
            progress = transfer(reader, part, state, planId, plan, chunkBytes, detail);
        } catch (HubIntegrityException e) { // the remote file is not what the tree lists: none of its bytes are kept
            deleteQuietly(part);
            deleteQuietly(state);
            throw e;
        }
        try {
            try {
                check.accept(part);
            } catch (HubIntegrityException e) {
                Files.deleteIfExists(part);
                Files.deleteIfExists(state);
                throw e;
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(state);
        } catch (IOException e) {
            throw new ModelLoadException(reader.what() + ": cannot move " + part + " into place: " + e.getMessage(), e);
        }
        progress.finish(detail.isEmpty() ? "" : "kept " + Bytes.format(plan.localSize()));
    }

    /** Fills {@code part}, resuming from its state; returns the progress to finish once the file is in place. */
    private static TransferProgress transfer(HubFileReader reader, Path part, Path state, String planId, Plan plan,
                                             long chunkBytes, String detail) {
        try {
            long done = resumePoint(part, state, planId, plan);
            TransferProgress progress = TransferProgress.start(reader.what(), plan.remoteBytes(), done, detail);
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                if (done == 0) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap(plan.prefix()), 0);
                }
                long cum = 0;
                for (Segment s : plan.segments()) {
                    for (long pos = Math.max(0, done - cum); pos < s.length(); ) {
                        long n = Math.min(chunkBytes, s.length() - pos);
                        long doneBefore = cum + pos;
                        reader.read(s.remoteOffset() + pos, n, new ChannelSink(ch, state, planId, doneBefore),
                                s.localOffset() + pos, progress);
                        pos += n;
                        done = cum + pos;
                        save(ch, state, planId, done);
                    }
                    cum += s.length();
                }
                ch.truncate(plan.localSize());
                ch.force(true);
            }
            return progress;
        } catch (IOException e) {
            throw new ModelLoadException(reader.what() + ": cannot write " + part + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the message about the bad file matters more; a leftover part is restarted by its state's plan
        }
    }

    /** The remote bytes already in {@code part} by its state, or 0 to start afresh. */
    private static long resumePoint(Path part, Path state, String planId, Plan plan) throws IOException {
        if (!Files.isRegularFile(part) || !Files.isRegularFile(state)) {
            return 0;
        }
        JsonNode s;
        try {
            s = JSON.readTree(Files.readAllBytes(state));
        } catch (IOException unreadable) {
            return 0;
        }
        long done = s.path("done").asLong(-1);
        if (!planId.equals(s.path("plan").asText()) || done < 0 || done > plan.remoteBytes()
                || Files.size(part) < plan.localEnd(done)) {
            return 0; // another plan's bytes, or a file shorter than its state says: nothing to keep
        }
        return done;
    }

    private static void save(FileChannel ch, Path state, String planId, long done) throws IOException {
        ch.force(false); // the data before the state that claims it
        ObjectNode s = JSON.createObjectNode().put("plan", planId).put("done", done);
        Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(s));
        Files.move(tmp, state, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String planId(HubFileReader reader, String commit, Plan plan) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            RepoFile f = reader.file();
            sha.update((commit + "\n" + f.path() + "\n" + f.size() + "\n" + f.hashDescription() + "\n").getBytes(StandardCharsets.UTF_8));
            sha.update(plan.prefix());
            for (Segment s : plan.segments()) {
                sha.update((s.remoteOffset() + " " + s.localOffset() + " " + s.length() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            sha.update(("size " + plan.localSize()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
        }
    }

    /** Writes at absolute offsets of the part file; saves the state of what a failing read brought. */
    private record ChannelSink(FileChannel ch, Path state, String planId, long doneBefore) implements HubFileReader.Sink {
        @Override
        public void write(long offset, byte[] bytes, int length) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, length);
            for (long at = offset; b.hasRemaining(); ) {
                at += ch.write(b, at);
            }
        }

        @Override
        public void saveProgress(long bytesWritten) throws IOException {
            save(ch, state, planId, doneBefore + bytesWritten);
        }
    }
}
