package io.moeoperator.server.model.hub;

import io.moeoperator.server.model.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Reads byte ranges of one file of a repository, surviving dropped connections: a range that ends
 * early is asked for again from where it stopped, after 1, 2, 4... seconds, until
 * {@link #MAX_ATTEMPTS} attempts in a row bring nothing. The CDN location the hub redirects to is kept
 * for the file's later ranges and looked up again when it stops answering (signed URLs expire).
 */
final class HubFileReader {
    private static final Logger LOG = Logger.getLogger(HubFileReader.class);
    static final int MAX_ATTEMPTS = 6;
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(16);
    private static final int BUFFER_BYTES = 1 << 20;

    /** Where the bytes read go: a local file at an offset, or an array. */
    interface Sink {
        void write(long offset, byte[] bytes, int length) throws IOException;

        /**
         * Makes the first {@code bytesWritten} bytes of the current read durable before a retry, so
         * that a process killed while it waits keeps them.
         */
        default void saveProgress(long bytesWritten) throws IOException {}
    }

    private final HubClient client;
    private final RepoSnapshot snapshot;
    private final RepoFile file;
    private final AtomicLong downloaded;
    private HubClient.Location location;

    /** {@code downloaded} counts every byte received, retried ones too: the report's network bytes. */
    HubFileReader(HubClient client, RepoSnapshot snapshot, RepoFile file, AtomicLong downloaded) {
        this.client = client;
        this.snapshot = snapshot;
        this.file = file;
        this.downloaded = downloaded;
    }

    RepoFile file() {
        return file;
    }

    String what() {
        return HubClient.what(snapshot, file);
    }

    /** The file's bytes [from, from + length), written to {@code sink} at {@code sinkOffset} onward. */
    void read(long from, long length, Sink sink, long sinkOffset, TransferProgress progress) {
        long[] have = {0}; // bytes of the range written, kept when a read fails half-way
        int failures = 0;
        while (have[0] < length) {
            long before = have[0];
            try {
                if (location == null) {
                    location = client.locate(snapshot, file);
                }
                boolean whole = from + have[0] == 0 && length == file.size();
                try (InputStream in = whole ? client.openWhole(location, snapshot, file)
                        : client.openRange(location, snapshot, file, from + have[0], length - have[0])) {
                    copy(in, length, have, sink, sinkOffset, progress);
                }
                if (have[0] < length) {
                    throw new IOException("the connection ended after byte " + (from + have[0]) + " of bytes " + from + "-"
                            + (from + length - 1));
                }
            } catch (HubClient.StaleLocationException e) {
                location = null;
                failures = retry(e, have[0] > before ? 1 : failures + 1, from + have[0], sink, have[0]);
            } catch (IOException e) {
                failures = retry(e, have[0] > before ? 1 : failures + 1, from + have[0], sink, have[0]);
            }
        }
    }

    private int retry(IOException e, int failures, long resumeAt, Sink sink, long written) {
        try {
            sink.saveProgress(written);
        } catch (IOException saveFailed) {
            throw new ModelLoadException(what() + ": cannot save the download's progress: " + saveFailed.getMessage(), saveFailed);
        }
        if (failures >= MAX_ATTEMPTS) {
            throw new ModelLoadException(what() + ": download failed " + failures + " times in a row, last: " + e.getMessage()
                    + "; what arrived is kept, start again to resume", e);
        }
        long delay = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << (failures - 1));
        LOG.warnf("%s: %s; resuming at byte %d in %.0f s (attempt %d of %d)", what(), e.getMessage(), resumeAt, delay / 1e3,
                failures + 1, MAX_ATTEMPTS);
        try {
            Thread.sleep(delay);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException(what() + ": download interrupted", ie);
        }
        return failures;
    }

    /** Copies until {@code have[0]} reaches {@code length} or the stream ends; a failing read keeps the count so far. */
    private void copy(InputStream in, long length, long[] have, Sink sink, long sinkOffset, TransferProgress progress) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER_BYTES, Math.max(1, length - have[0]))];
        while (have[0] < length) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, length - have[0]));
            if (n < 0) {
                return;
            }
            sink.write(sinkOffset + have[0], buf, n);
            have[0] += n;
            downloaded.addAndGet(n);
            progress.add(n);
        }
    }
}
