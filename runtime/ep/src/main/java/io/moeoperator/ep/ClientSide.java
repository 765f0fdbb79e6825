package io.moeoperator.ep;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * The calling side of a connection this rank opened to a peer: its half of the handshake (HELLO,
 * check the peer's proof and fingerprint, PROOF), then results back to their calls.
 */
final class ClientSide extends SimpleChannelInboundHandler<ByteBuf> {
    private final GroupConfig config;
    private final Handshake handshake;
    private final Refusals refusals;
    private final GroupFingerprint fingerprint;
    private final NetworkExpertTransport.PeerLink link;
    private final NetworkExpertTransport.Frames frames;
    private final byte[] clientNonce = Handshake.nonce();
    private boolean challenged;
    private boolean ready;
    private String why = "connection closed";
    /** Whether {@code why} is a refusal that {@link Refusals} counted and logged. */
    private boolean refused;

    ClientSide(GroupConfig config, Handshake handshake, Refusals refusals, GroupFingerprint fingerprint,
               NetworkExpertTransport.PeerLink link, NetworkExpertTransport.Frames frames) {
        this.config = config;
        this.handshake = handshake;
        this.refusals = refusals;
        this.fingerprint = fingerprint;
        this.link = link;
        this.frames = frames;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Wire.hello(ctx.alloc(), config.size(), config.rank(), link.peer, clientNonce, fingerprint));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        if (refused) {
            return; // closing: after this rank refused the peer, what the peer says adds nothing
        }
        long frameBytes = frame.readableBytes();
        byte type = frame.readByte();
        if (type == Wire.REFUSED) {
            refusedByPeer(Wire.readText(frame));
            ctx.close();
            return;
        }
        if (!ready) {
            handshake(ctx, type, frame);
            return;
        }
        switch (type) {
            case Wire.RESULT -> {
                long id = frame.readLongLE();
                long computeNanos = frame.readLongLE();
                link.received(id, computeNanos, Wire.readFloats(frame), frameBytes);
            }
            case Wire.FAILED -> {
                long id = frame.readLongLE();
                link.failed(id, Wire.readText(frame));
            }
            case Wire.PONG -> { }
            default -> {
                why = "protocol error: unexpected frame type " + type;
                ctx.close();
            }
        }
    }

    /**
     * The peer's refusal before this rank could judge it: a peer of another version answers this
     * rank's HELLO that way (version 1 could not parse the fingerprint: "authenticate first").
     */
    private void refusedByPeer(String reason) {
        int peer = link.peer;
        if (!challenged && (reason.startsWith(Wire.REFUSED_VERSION) || reason.equals(Wire.REFUSED_UNAUTHENTICATED))) {
            why = refusals.refused(peer, RefusalReason.VERSION, "rank " + peer + " refused this rank's hello ('" + reason
                    + "'): it speaks another wire protocol than this rank's " + fingerprint.version() + "; "
                    + RefusalReason.VERSION.remedy(), "hello");
            refused = true;
        } else if (!challenged && reason.startsWith(Wire.REFUSED_GROUP_SIZE)) {
            why = refusals.refused(peer, RefusalReason.SHARD_PLAN, "rank " + peer + " refused this rank's hello ('"
                    + reason + "'); " + RefusalReason.SHARD_PLAN.remedy(), "hello");
            refused = true;
        } else {
            why = "refused by rank " + peer + ": " + reason;
        }
    }

    private void handshake(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        if (type == Wire.CHALLENGE && !challenged) {
            challenged = true;
            Wire.Challenge c;
            try {
                c = Wire.readChallenge(frame);
            } catch (IllegalArgumentException e) {
                why = "protocol error: " + e.getMessage();
                ctx.close();
                return;
            }
            byte[] expected = handshake.proof("server", clientNonce, c.nonce(), config.rank(), link.peer, config.size(),
                    fingerprint, c.fingerprint());
            if (!Handshake.matches(expected, c.proof())) {
                why = refusals.refused(link.peer, RefusalReason.SECRET, Refusals.secretCause(link.peer));
                refused = true;
                Wire.refuse(ctx, "authentication failed");
                return;
            }
            // The peer proved the secret, so its fingerprint is its own. Prove ours even when they
            // differ: the peer can then trust our fingerprint too, and refuse and count on its end.
            byte[] proof = handshake.proof("client", clientNonce, c.nonce(), config.rank(), link.peer, config.size(),
                    fingerprint, c.fingerprint());
            ChannelFuture sent = ctx.writeAndFlush(ctx.alloc().buffer(33).writeByte(Wire.PROOF).writeBytes(proof));
            GroupFingerprint.Mismatch mismatch = fingerprint.compare(c.fingerprint(), link.peer);
            if (mismatch != null) {
                why = refusals.refused(link.peer, mismatch.reason(), mismatch.cause());
                refused = true;
                sent.addListener(ChannelFutureListener.CLOSE);
            }
        } else if (type == Wire.ACCEPTED && challenged && !refused) {
            ready = true;
            frames.open();
            link.up(ctx.channel());
        } else {
            why = "protocol error: unexpected frame type " + type + " during the handshake";
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                why = "no answer for " + 3 * config.heartbeat().toMillis() + " ms";
                ctx.close();
            } else if (idle.state() == IdleState.WRITER_IDLE && ready) {
                ctx.writeAndFlush(Wire.empty(ctx.alloc(), Wire.PING));
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        why = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        link.down(why, refused);
    }
}
