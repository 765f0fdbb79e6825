package io.moeoperator.ep;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts the connections a rank refused, per peer and {@link RefusalReason}, and logs each cause
 * once: links retry every 2 s for as long as a mismatched peer runs, and both ends of both of a
 * pair's connections see the same cause, so a line per attempt would bury everything else. The
 * first line for a cause is logged again only after the peer has connected in between.
 */
final class Refusals {
    private static final System.Logger LOG = System.getLogger(NetworkExpertTransport.class.getName());
    private static final RefusalReason[] REASONS = RefusalReason.values();

    private final GroupConfig config;
    private final AtomicLongArray counts; // [peer * REASONS.length + reason]
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    Refusals(GroupConfig config) {
        this.config = config;
        this.counts = new AtomicLongArray(config.size() * REASONS.length);
    }

    /**
     * One refused connection of {@code peer}'s (either end: this rank's link to it or its link here),
     * logged when its cause is new.
     *
     * @param cause what differs and what to do, e.g. {@code model sha256:... (this rank) vs sha256:... (rank 1); ...}
     * @return the link's state for readiness: {@code refused [reason=model]: <cause>}
     */
    String refused(int peer, RefusalReason reason, String cause) {
        return refused(peer, reason, cause, cause);
    }

    /**
     * As {@link #refused(int, RefusalReason, String)}, logged once per {@code (peer, reason, key)}:
     * for causes that each end words differently (a refused hello).
     */
    String refused(int peer, RefusalReason reason, String cause, String key) {
        counts.incrementAndGet(peer * REASONS.length + reason.ordinal());
        if (logged.add(peer + " " + reason + " " + key)) {
            LOG.log(System.Logger.Level.WARNING, "expert transport: refused rank " + peer + " (" + config.peers().get(peer)
                    + ") [reason=" + reason.label() + "]: " + cause);
        }
        return "refused [reason=" + reason.label() + "]: " + cause;
    }

    /** The peer authenticated and agreed: a later refusal is news again. */
    void connected(int peer) {
        logged.removeIf(k -> k.startsWith(peer + " "));
    }

    long count(int peer, RefusalReason reason) {
        return counts.get(peer * REASONS.length + reason.ordinal());
    }

    /** Whether {@code rank} may be counted as a peer: a claim from an unauthenticated hello need not be. */
    boolean isPeer(int rank) {
        return rank >= 0 && rank < config.size() && rank != config.rank();
    }

    static String secretCause(int peer) {
        return "authentication failed: rank " + peer + " does not hold this rank's shared secret; "
                + RefusalReason.SECRET.remedy();
    }
}
