package io.moeoperator.ep;

import io.moeoperator.engine.ep.ExpertCall;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The peer protocol's frames. On the wire each frame is a 4-byte big-endian length, then one type
 * byte and the type's fields, little-endian; tensors are raw float32 (the exact bits the engine
 * computes with, so remote experts see what local ones would). No JSON, no schema compiler.
 *
 * <pre>
 * HELLO      magic "MOEP" i32, version u8, groupSize i32, fromRank i32, toRank i32, nonce[32]   client -> server
 * CHALLENGE  nonce[32], proof[32] (HMAC of both nonces and ranks: the server knows the secret)   server -> client
 * PROOF      proof[32] (the client knows the secret)                                            client -> server
 * ACCEPTED   (empty)                                                                            server -> client
 * REFUSED    reason (UTF-8)                                                                     either way, then close
 * CALL       callId i64, layer i32, numExperts i32, hidden i32, (expert i32, rows i32)*, f32[rows*hidden]
 * RESULT     callId i64, computeNanos i64, f32[rows*hidden]
 * FAILED     callId i64, message (UTF-8)
 * PING/PONG  (empty)                                                                            heartbeat
 * </pre>
 */
final class Wire {
    static final int MAGIC = 0x4d4f4550; // "MOEP"
    static final byte VERSION = 1;
    static final int NONCE_BYTES = 32;
    /** Largest frame accepted: a 512-token prefill chunk of 8 experts at hidden 7168 is 117 MB. */
    static final int MAX_FRAME = 512 << 20;
    /** Largest frame accepted before the other side has authenticated (HELLO is 50 bytes). */
    static final int MAX_HANDSHAKE_FRAME = 1024;

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
