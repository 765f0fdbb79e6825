package io.moeoperator.ep;

import java.util.ArrayList;
import java.util.List;

/** Where a rank listens for its peers: {@code host:port} (an IPv6 host in brackets, {@code [::1]:29500}). */
public record PeerAddress(String host, int port) {

    public PeerAddress {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
    }

    /** @throws IllegalArgumentException saying which entry of {@code --ep-peers} is malformed */
    public static List<PeerAddress> parseList(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--ep-peers is empty; list every rank's host:port in rank order");
        }
        List<PeerAddress> out = new ArrayList<>();
        for (String entry : spec.split(",", -1)) {
            out.add(parse(entry.strip(), spec));
        }
        return List.copyOf(out);
    }

    private static PeerAddress parse(String entry, String spec) {
        String bad = "--ep-peers '" + spec + "': entry '" + entry + "' is not host:port";
        int colon = entry.lastIndexOf(':');
        if (colon <= 0 || colon == entry.length() - 1) {
            throw new IllegalArgumentException(bad);
        }
        String host = entry.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException(bad + " (put an IPv6 address in brackets: [::1]:29500)");
        }
        try {
            return new PeerAddress(host, Integer.parseInt(entry.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(bad + ": " + (e instanceof NumberFormatException ? "the port is not a number" : e.getMessage()));
        }
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
