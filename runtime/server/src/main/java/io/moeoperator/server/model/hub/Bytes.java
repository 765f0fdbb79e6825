package io.moeoperator.server.model.hub;

import java.util.Locale;

/** Byte counts for log lines, in decimal units as the hub shows sizes. */
final class Bytes {
    private Bytes() {}

    static String format(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
