package io.moeoperator.server.model.hub;

import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * The log of one file's transfer: a line when it starts and when it ends, and between them a line
 * every {@link #INTERVAL_NANOS} with bytes done of total and the rate, so a long download shows it
 * is moving.
 */
final class TransferProgress {
    private static final Logger LOG = Logger.getLogger(TransferProgress.class);
    static final long INTERVAL_NANOS = 5_000_000_000L;

    private final String what;
    private final long total;
    private final long start = System.nanoTime();
    private final long resumedAt;
    private long done;
    private long lastLog = start;

    private TransferProgress(String what, long total, long resumedAt) {
        this.what = what;
        this.total = total;
        this.resumedAt = resumedAt;
        this.done = resumedAt;
    }

    /** Logs the start: {@code total} bytes to transfer, {@code resumedAt} of them already on disk. */
    static TransferProgress start(String what, long total, long resumedAt, String detail) {
        LOG.infof("Downloading %s: %s%s%s", what, Bytes.format(total), detail.isEmpty() ? "" : " " + detail,
                resumedAt > 0 ? ", resuming after " + Bytes.format(resumedAt) + " already on disk" : "");
        return new TransferProgress(what, total, resumedAt);
    }

    /** A transfer too small to report: no lines at all. */
    static TransferProgress quiet() {
        return new TransferProgress(null, 0, 0);
    }

    void add(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (what != null && now - lastLog >= INTERVAL_NANOS) {
            lastLog = now;
            LOG.infof("Downloading %s: %s of %s (%.0f %%), %s", what, Bytes.format(done), Bytes.format(total),
                    total == 0 ? 100.0 : 100.0 * done / total, rate(now));
        }
    }

    void finish(String result) {
        if (what != null) {
            LOG.infof("Downloaded %s: %s in %.1f s (%s)%s", what, Bytes.format(done - resumedAt),
                    (System.nanoTime() - start) / 1e9, rate(System.nanoTime()), result.isEmpty() ? "" : "; " + result);
        }
    }

    private String rate(long now) {
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        return Bytes.format((long) ((done - resumedAt) / seconds)) + "/s";
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %d of %d", what, done, total);
    }
}
