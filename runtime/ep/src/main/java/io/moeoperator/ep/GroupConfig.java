package io.moeoperator.ep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One rank's view of its expert-parallel group over the network, validated on construction.
 *
 * @param peers      every rank's expert-transport address, in rank order (this rank's own included)
 * @param listenHost the interface this rank listens on for peers
 * @param port       the port it listens on (its own entry's)
 * @param secret     the group's shared secret; never sent, only proven (HMAC-SHA256 challenge-response)
 * @param heartbeat  how often an idle connection is pinged; three missed intervals drop it
 * @param serveThreads threads computing peers' calls
 */
public record GroupConfig(int rank, List<PeerAddress> peers, String listenHost, int port, byte[] secret,
                          Duration heartbeat, int serveThreads) {

    private static final Pattern POD_ORDINAL = Pattern.compile(".*-(\\d+)");

    public GroupConfig {
        peers = List.copyOf(peers);
        if (rank < 0 || rank >= peers.size()) {
            throw new IllegalArgumentException("rank " + rank + " is outside the " + peers.size() + " peers");
        }
        if (secret.length == 0) {
            throw new IllegalArgumentException("the expert-parallel secret is empty");
        }
        if (serveThreads < 1) {
            throw new IllegalArgumentException("serve threads must be >= 1, got " + serveThreads);
        }
    }

    public int size() {
        return peers.size();
    }

    /**
     * The rank from {@code --ep-rank}: an integer, or a StatefulSet pod name whose trailing
     * {@code -<ordinal>} is the rank ({@code tiny-g0-1} is rank 1).
     *
     * @throws IllegalArgumentException naming the flag and the value
     */
    public static int parseRank(String value, int size) {
        String v = value.strip();
        int rank;
        if (v.matches("\\d+")) {
            rank = parseInt(v, value);
        } else {
            Matcher m = POD_ORDINAL.matcher(v);
            if (!m.matches()) {
                throw new IllegalArgumentException("--ep-rank '" + value
                        + "' is neither a number nor a pod name ending in -<ordinal> (e.g. tiny-g0-1)");
            }
            rank = parseInt(m.group(1), value);
        }
        if (rank >= size) {
            throw new IllegalArgumentException("--ep-rank " + value + " is rank " + rank + ", outside the group of --ep-size "
                    + size + " (0.." + (size - 1) + ")");
        }
        return rank;
    }

    private static int parseInt(String digits, String value) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ep-rank '" + value + "' is too large");
        }
    }

    /**
     * The listening port: {@code --ep-port} when given, which must equal this rank's entry in
     * {@code --ep-peers}; otherwise that entry's port.
     */
    private static boolean isAsciiSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    public static int listenPort(Integer epPort, List<PeerAddress> peers, int rank) {
        int own = peers.get(rank).port();
        if (epPort != null && epPort != own) {
            throw new IllegalArgumentException("--ep-port " + epPort + " differs from rank " + rank + "'s own entry in --ep-peers ("
                    + peers.get(rank) + "); a rank listens on its own entry's port");
        }
        return own;
    }

    /**
     * The secret: the file's bytes without surrounding ASCII whitespace (a trailing newline is
     * usual in text files). Any bytes work: the operator's Secret holds 32 random binary bytes.
     */
    public static byte[] readSecret(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--ep-secret-file " + file + " cannot be read: " + e.getMessage());
        }
        int from = 0, to = raw.length;
        while (from < to && isAsciiSpace(raw[from])) from++;
        while (to > from && isAsciiSpace(raw[to - 1])) to--;
        byte[] secret = java.util.Arrays.copyOfRange(raw, from, to);
        if (secret.length < 16) {
            throw new IllegalArgumentException("--ep-secret-file " + file + " holds " + secret.length
                    + " bytes; use at least 16 random bytes (e.g. openssl rand -hex 32)");
        }
        return secret;
    }
}
