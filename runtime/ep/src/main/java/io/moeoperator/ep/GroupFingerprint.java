package io.moeoperator.ep;

import io.moeoperator.engine.ep.ShardPlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.StringJoiner;

/**
 * What two ranks must agree on before they exchange tokens: the model, the whole shard plan and the
 * runtime's version. Each rank sends its own in the handshake, under the HMAC, and refuses a peer
 * whose fingerprint differs (issue 12: a rollout must not silently pair a new rank with an old one).
 *
 * @param model     the model's digest ({@code ModelDigest}: {@code sha256:<hex>})
 * @param shardPlan every rank's experts, e.g. {@code 8 experts over 2 ranks: 0-3,4-7+0}
 * @param version   the runtime's version and the wire protocol's, e.g. {@code moe 0.1.0 wire 2}
 */
public record GroupFingerprint(String model, String shardPlan, String version) {
    /** Each component's longest UTF-8 encoding: three fit in a handshake frame (at most 1 KiB). */
    static final int MAX_COMPONENT_BYTES = 255;
    /** A plan longer than this is sent as its first characters and a digest of the whole. */
    private static final int MAX_PLAN_TEXT = 200;
    private static final int SHORT = 64;

    public GroupFingerprint {
        for (String c : new String[] {model, shardPlan, version}) {
            if (c == null || c.isEmpty() || c.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw new IllegalArgumentException("a fingerprint component must have 1.." + MAX_COMPONENT_BYTES
                        + " UTF-8 bytes, got " + (c == null ? "null" : "'" + c + "'"));
            }
        }
    }

    /** This runtime's fingerprint for a model with digest {@code modelDigest}, split by {@code plan}. */
    public static GroupFingerprint of(String modelDigest, ShardPlan plan) {
        return new GroupFingerprint(modelDigest, planText(plan), runtimeVersion());
    }

    /** {@code moe <version> wire <protocol>}: both must match between peers. */
    public static String runtimeVersion() {
        try (InputStream in = GroupFingerprint.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/moeoperator/ep/version.properties is missing from the class path: "
                        + "a broken build of runtime/ep (rebuild it with Maven)");
            }
            Properties p = new Properties();
            p.load(in);
            return "moe " + p.getProperty("version") + " wire " + Wire.VERSION;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read io/moeoperator/ep/version.properties: " + e.getMessage(), e);
        }
    }

    /**
     * The plan as {@code --ep-experts} would spell it, with the expert and rank counts: two ranks
     * agree on it only when they split the same number of experts the same way. Deterministic, so a
     * long plan's shortened form is the same on every rank that has the same plan.
     */
    static String planText(ShardPlan plan) {
        StringJoiner ranks = new StringJoiner(",");
        for (int r = 0; r < plan.numRanks(); r++) {
            ranks.add(plan.describe(r));
        }
        String text = plan.numExperts() + " experts over " + plan.numRanks() + " ranks: " + ranks;
        return text.length() <= MAX_PLAN_TEXT ? text : text.substring(0, MAX_PLAN_TEXT - 80) + "... " + sha256(text);
    }

    /** What differs from a peer's fingerprint, or null when nothing does. */
    Mismatch compare(GroupFingerprint theirs, int peer) {
        List<String> differences = new ArrayList<>();
        RefusalReason first = null;
        String[][] components = {{version, theirs.version}, {model, theirs.model}, {shardPlan, theirs.shardPlan}};
        RefusalReason[] reasons = {RefusalReason.VERSION, RefusalReason.MODEL, RefusalReason.SHARD_PLAN};
        for (int i = 0; i < reasons.length; i++) {
            String mine = components[i][0];
            String other = components[i][1];
            if (!mine.equals(other)) {
                first = first == null ? reasons[i] : first;
                differences.add(reasons[i].what() + " " + shortForm(mine) + " (this rank) vs " + shortForm(other)
                        + " (rank " + peer + ")");
            }
        }
        return first == null ? null : new Mismatch(first, String.join("; ", differences) + "; " + first.remedy());
    }

    /** The reason a peer is refused (the first differing component: version, model, shard plan) and the whole cause. */
    record Mismatch(RefusalReason reason, String cause) {}

    /**
     * Short enough for a log line: a digest as its first 12 hex digits, a long text as its start and a
     * digest of the whole (so two long values that differ late still look different).
     */
    static String shortForm(String value) {
        if (value.startsWith("sha256:") && value.length() == 7 + 64) {
            return value.substring(0, 7 + 12);
        }
        return value.length() <= SHORT ? value : value.substring(0, SHORT - 24) + "... " + sha256(value).substring(0, 19);
    }

    /** Each component as a little-endian u16 length and its UTF-8 bytes: on the wire and in the MAC. */
    void write(ByteBuf b) {
        for (String c : new String[] {model, shardPlan, version}) {
            byte[] utf8 = c.getBytes(StandardCharsets.UTF_8);
            b.writeShortLE(utf8.length).writeBytes(utf8);
        }
    }

    byte[] encoded() {
        ByteBuf b = Unpooled.buffer();
        write(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    /** @throws IllegalArgumentException when the bytes are not three well-formed components */
    static GroupFingerprint read(ByteBuf b) {
        String[] c = new String[3];
        for (int i = 0; i < 3; i++) {
            if (b.readableBytes() < 2) {
                throw new IllegalArgumentException("malformed fingerprint: truncated");
            }
            int n = b.readUnsignedShortLE();
            if (n == 0 || n > MAX_COMPONENT_BYTES || n > b.readableBytes()) {
                throw new IllegalArgumentException("malformed fingerprint: a component of " + n + " bytes");
            }
            c[i] = b.readCharSequence(n, StandardCharsets.UTF_8).toString();
        }
        return new GroupFingerprint(c[0], c[1], c[2]);
    }

    private static String sha256(String text) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
        }
    }
}
