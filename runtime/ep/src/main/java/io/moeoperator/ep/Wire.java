package io.moeoperator.ep;

import io.moeoperator.engine.ep.ExpertCall;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The peer protocol's frames. On the wire each frame is a 4-byte big-endian length, then one type
 * byte and the type's fields, little-endian; tensors are raw float32 (the exact bits the engine
 * computes with, so remote experts see what local ones would). No JSON, no schema compiler.
 *
 * <pre>
 * HELLO      magic "MOEP" i32, version u8, groupSize i32, fromRank i32, toRank i32, nonce[32],  client -> server
 *            fingerprint (model, shard plan, version: each u16 length + UTF-8)
 * CHALLENGE  nonce[32], proof[32], fingerprint (HMAC of both nonces, ranks and fingerprints:   server -> client
 *            the server knows the secret and cannot be made to claim another's fingerprint)
 * PROOF      proof[32] (the client knows the secret)                                            client -> server
 * ACCEPTED   (empty)                                                                            server -> client
 * REFUSED    reason (UTF-8)                                                                     either way, then close
 * CALL       callId i64, layer i32, numExperts i32, hidden i32, (expert i32, rows i32)*, f32[rows*hidden]
 * RESULT     callId i64, computeNanos i64, f32[rows*hidden]
 * FAILED     callId i64, message (UTF-8)
 * PING/PONG  (empty)                                                                            heartbeat
 * </pre>
 *
 * <p>Version 2 added the fingerprints (issue 12). HELLO's fields up to the nonce stay where version 1
 * had them, so a rank of either version can tell the other's version and say so.
 */
final class Wire {
    static final int MAGIC = 0x4d4f4550; // "MOEP"
    static final byte VERSION = 2;
    static final int NONCE_BYTES = 32;
    /** HELLO's fields of every version: magic, version, group size, both ranks, the nonce. */
    static final int HELLO_PREFIX = 17 + NONCE_BYTES;
    /** Largest frame accepted: a 512-token prefill chunk of 8 experts at hidden 7168 is 117 MB. */
    static final int MAX_FRAME = 512 << 20;
    /**
     * Largest frame accepted before the other side has authenticated: HELLO is 50 bytes and its
     * fingerprint at most 3 x (2 + 255), so at most 821 bytes; CHALLENGE at most 836.
     */
    static final int MAX_HANDSHAKE_FRAME = 1024;

    /** How a REFUSED answering a HELLO starts, so the caller can tell a version or group-size mismatch. */
    static final String REFUSED_VERSION = "protocol version";
    static final String REFUSED_GROUP_SIZE = "it is in a group of";
    /** Also what version 1 answers a version-2 HELLO, whose length it does not expect. */
    static final String REFUSED_UNAUTHENTICATED = "authenticate first";

    static final byte HELLO = 1;
    static final byte CHALLENGE = 2;
    static final byte PROOF = 3;
    static final byte ACCEPTED = 4;
    static final byte REFUSED = 5;
    static final byte CALL = 10;
    static final byte RESULT = 11;
    static final byte FAILED = 12;
    static final byte PING = 20;
    static final byte PONG = 21;

    private Wire() {}

    /** A HELLO's fields; {@code fingerprint} is null when {@code version} is not this rank's. */
    record Hello(int magic, int version, int groupSize, int fromRank, int toRank, byte[] nonce,
                 GroupFingerprint fingerprint) {}

    record Challenge(byte[] nonce, byte[] proof, GroupFingerprint fingerprint) {}

    static ByteBuf hello(ByteBufAllocator alloc, int groupSize, int fromRank, int toRank, byte[] nonce, GroupFingerprint fp) {
        ByteBuf b = alloc.buffer(1 + HELLO_PREFIX + 3 * (2 + GroupFingerprint.MAX_COMPONENT_BYTES)).writeByte(HELLO)
                .writeIntLE(MAGIC).writeByte(VERSION).writeIntLE(groupSize).writeIntLE(fromRank).writeIntLE(toRank)
                .writeBytes(nonce);
        fp.write(b);
        return b;
    }

    /**
     * After the type byte. The fingerprint is read only when the version is this rank's.
     *
     * @throws IllegalArgumentException when the frame is shorter than any version's HELLO, or malformed
     */
    static Hello readHello(ByteBuf b) {
        if (b.readableBytes() < HELLO_PREFIX) {
            throw new IllegalArgumentException("a HELLO of " + b.readableBytes() + " bytes");
        }
        int magic = b.readIntLE();
        int version = b.readUnsignedByte();
        int size = b.readIntLE();
        int fromRank = b.readIntLE();
        int toRank = b.readIntLE();
        byte[] nonce = new byte[NONCE_BYTES];
        b.readBytes(nonce);
        GroupFingerprint fp = null;
        if (magic == MAGIC && version == VERSION) {
            fp = GroupFingerprint.read(b);
            if (b.isReadable()) {
                throw new IllegalArgumentException("a HELLO with " + b.readableBytes() + " bytes after its fingerprint");
            }
        }
        return new Hello(magic, version, size, fromRank, toRank, nonce, fp);
    }

    static ByteBuf challenge(ByteBufAllocator alloc, byte[] nonce, byte[] proof, GroupFingerprint fp) {
        ByteBuf b = alloc.buffer(1 + 2 * NONCE_BYTES + 3 * (2 + GroupFingerprint.MAX_COMPONENT_BYTES)).writeByte(CHALLENGE)
                .writeBytes(nonce).writeBytes(proof);
        fp.write(b);
        return b;
    }

    /** After the type byte. @throws IllegalArgumentException when malformed */
    static Challenge readChallenge(ByteBuf b) {
        if (b.readableBytes() < 2 * NONCE_BYTES) {
            throw new IllegalArgumentException("a CHALLENGE of " + b.readableBytes() + " bytes");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        byte[] proof = new byte[32];
        b.readBytes(nonce).readBytes(proof);
        GroupFingerprint fp = GroupFingerprint.read(b);
        if (b.isReadable()) {
            throw new IllegalArgumentException("a CHALLENGE with " + b.readableBytes() + " bytes after its fingerprint");
        }
        return new Challenge(nonce, proof, fp);
    }

    static ByteBuf empty(ByteBufAllocator alloc, byte type) {
        return alloc.buffer(1).writeByte(type);
    }

    static ByteBuf text(ByteBufAllocator alloc, byte type, long callId, String message) {
        byte[] utf8 = message.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(1 + 8 + utf8.length).writeByte(type);
        if (type == FAILED) {
            b.writeLongLE(callId);
        }
        return b.writeBytes(utf8);
    }

    /** Sends REFUSED with {@code reason}, then closes the connection. */
    static void refuse(ChannelHandlerContext ctx, String reason) {
        ctx.writeAndFlush(text(ctx.alloc(), REFUSED, 0, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    static String readText(ByteBuf b) {
        return b.readCharSequence(b.readableBytes(), StandardCharsets.UTF_8).toString();
    }

    static ByteBuf call(ByteBufAllocator alloc, long callId, ExpertCall c) {
        int n = c.experts().length;
        ByteBuf b = alloc.buffer(1 + 8 + 12 + 8 * n + 4 * c.x().length);
        b.writeByte(CALL).writeLongLE(callId).writeIntLE(c.layer()).writeIntLE(n).writeIntLE(c.hidden());
        for (int i = 0; i < n; i++) {
            b.writeIntLE(c.experts()[i]).writeIntLE(c.counts()[i]);
        }
        writeFloats(b, c.x());
        return b;
    }

    /** After the type byte and call id. */
    static ExpertCall readCall(ByteBuf b) {
        int layer = b.readIntLE();
        int n = b.readIntLE();
        int hidden = b.readIntLE();
        if (n < 0 || hidden <= 0 || (long) n * 8 > b.readableBytes()) {
            throw new IllegalArgumentException("malformed CALL frame: " + n + " experts, hidden " + hidden);
        }
        int[] experts = new int[n];
        int[] counts = new int[n];
        for (int i = 0; i < n; i++) {
            experts[i] = b.readIntLE();
            counts[i] = b.readIntLE();
        }
        float[] x = readFloats(b);
        return new ExpertCall(layer, experts, counts, x, hidden);
    }

    static ByteBuf result(ByteBufAllocator alloc, long callId, long computeNanos, float[] y) {
        ByteBuf b = alloc.buffer(1 + 16 + 4 * y.length);
        b.writeByte(RESULT).writeLongLE(callId).writeLongLE(computeNanos);
        writeFloats(b, y);
        return b;
    }

    /** Bulk copy through a little-endian view: one memcpy-like loop instead of a call per float. */
    static void writeFloats(ByteBuf b, float[] v) {
        int bytes = v.length * 4;
        b.ensureWritable(bytes);
        if (b.nioBufferCount() == 1) {
            b.nioBuffer(b.writerIndex(), bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v);
            b.writerIndex(b.writerIndex() + bytes);
        } else {
            for (float f : v) {
                b.writeFloatLE(f);
            }
        }
    }

    /** The rest of the frame as floats. */
    static float[] readFloats(ByteBuf b) {
        int bytes = b.readableBytes();
        if (bytes % 4 != 0) {
            throw new IllegalArgumentException("malformed frame: " + bytes + " tensor bytes is not a multiple of 4");
        }
        float[] v = new float[bytes / 4];
        if (b.nioBufferCount() == 1) {
            b.nioBuffer(b.readerIndex(), bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            b.skipBytes(bytes);
        } else {
            for (int i = 0; i < v.length; i++) {
                v[i] = b.readFloatLE();
            }
        }
        return v;
    }
}
