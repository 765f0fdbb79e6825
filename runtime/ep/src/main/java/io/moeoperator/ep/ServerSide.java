package io.moeoperator.ep;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertCompute;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The serving side of a connection a peer opened: its half of the handshake (check the HELLO,
 * CHALLENGE, check the peer's proof and fingerprint), then its calls, computed on the serving pool.
 */
final class ServerSide extends SimpleChannelInboundHandler<ByteBuf> {
    private static final System.Logger LOG = System.getLogger(NetworkExpertTransport.class.getName());
    private static final int HANDSHAKE_TIMEOUT_MS = 5000;

    private final GroupConfig config;
    private final Handshake handshake;
    private final Refusals refusals;
    private final GroupFingerprint fingerprint;
    private final ExpertCompute local;
    private final ThreadPoolExecutor serving;
    private final Set<Channel> inbound;
    private final NetworkExpertTransport.Frames frames;
    private final byte[] serverNonce = Handshake.nonce();
    private byte[] clientNonce;
    private int clientRank = -1;
    private GroupFingerprint clientFingerprint;
    private boolean ready;
    /** This end refused the peer: an error as the connection closes is expected, not news. */
    private boolean refusing;

    ServerSide(GroupConfig config, Handshake handshake, Refusals refusals, GroupFingerprint fingerprint, ExpertCompute local,
               ThreadPoolExecutor serving, Set<Channel> inbound, NetworkExpertTransport.Frames frames) {
        this.config = config;
        this.handshake = handshake;
        this.refusals = refusals;
        this.fingerprint = fingerprint;
        this.local = local;
        this.serving = serving;
        this.inbound = inbound;
        this.frames = frames;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        inbound.add(ctx.channel());
        ctx.executor().schedule(() -> {
            if (!ready && ctx.channel().isActive()) {
                LOG.log(System.Logger.Level.WARNING, "expert transport: dropped a connection from "
                        + ctx.channel().remoteAddress() + " that did not complete the handshake in "
                        + HANDSHAKE_TIMEOUT_MS + " ms");
                ctx.close();
            }
        }, HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        byte type = frame.readByte();
        if (!ready) {
            handshake(ctx, type, frame);
            return;
        }
        switch (type) {
            case Wire.CALL -> serve(ctx, frame.readLongLE(), Wire.readCall(frame));
            case Wire.PING -> ctx.writeAndFlush(Wire.empty(ctx.alloc(), Wire.PONG));
            default -> Wire.refuse(ctx, "protocol error: unexpected frame type " + type);
        }
    }

    private void handshake(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        Object from = ctx.channel().remoteAddress();
        if (type == Wire.HELLO && clientNonce == null && frame.readableBytes() >= Wire.HELLO_PREFIX) {
            hello(ctx, frame, from);
        } else if (type == Wire.PROOF && clientNonce != null && frame.readableBytes() == 32) {
            byte[] proof = new byte[32];
            frame.readBytes(proof);
            byte[] expected = handshake.proof("client", clientNonce, serverNonce, clientRank, config.rank(), config.size(),
                    clientFingerprint, fingerprint);
            if (!Handshake.matches(expected, proof)) {
                refusals.refused(clientRank, RefusalReason.SECRET, Refusals.secretCause(clientRank));
                refusing = true;
                Wire.refuse(ctx, "authentication failed: the shared secret differs");
                return;
            }
            // Both fingerprints are authenticated now: a mismatch is the peer's real state. The peer
            // has seen it too and is closing; the REFUSED is for peers that did not look.
            GroupFingerprint.Mismatch mismatch = fingerprint.compare(clientFingerprint, clientRank);
            if (mismatch != null) {
                refusing = true;
                Wire.refuse(ctx, refusals.refused(clientRank, mismatch.reason(), mismatch.cause()));
                return;
            }
            ready = true;
            frames.open();
            ctx.writeAndFlush(Wire.empty(ctx.alloc(), Wire.ACCEPTED));
            refusals.connected(clientRank);
            LOG.log(System.Logger.Level.INFO, "expert transport: rank " + clientRank + " connected from " + from);
        } else if (type == Wire.REFUSED && clientNonce != null) {
            // The peer checked this rank's proof first and rejected it: a different secret.
            refusals.refused(clientRank, RefusalReason.SECRET, Refusals.secretCause(clientRank));
            refusing = true;
            ctx.close();
        } else {
            LOG.log(System.Logger.Level.WARNING, "expert transport: refused a connection from " + from
                    + ": it did not follow the handshake (frame type " + type + ")");
            Wire.refuse(ctx, Wire.REFUSED_UNAUTHENTICATED);
        }
    }

    /**
     * Checks what can be checked before authentication (a peer of this group, of this version,
     * for this rank) and answers with this rank's nonce, proof and fingerprint. The peer's
     * fingerprint is judged only once it has proven the secret.
     */
    private void hello(ChannelHandlerContext ctx, ByteBuf frame, Object from) {
        Wire.Hello h;
        try {
            h = Wire.readHello(frame);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "expert transport: refused a connection from " + from + ": " + e.getMessage());
            Wire.refuse(ctx, Wire.REFUSED_UNAUTHENTICATED);
            return;
        }
        String wrong = h.magic() != Wire.MAGIC ? "not a moe expert-transport peer"
                : h.version() != Wire.VERSION ? Wire.REFUSED_VERSION + " " + h.version() + ", this rank speaks " + Wire.VERSION
                : h.groupSize() != config.size() ? Wire.REFUSED_GROUP_SIZE + " " + h.groupSize() + ", this rank in one of "
                        + config.size()
                : h.toRank() != config.rank() ? "it expects rank " + h.toRank() + " here, this is rank " + config.rank()
                : !refusals.isPeer(h.fromRank()) ? "it claims rank " + h.fromRank()
                : null;
        if (wrong != null) {
            RefusalReason reason = h.magic() != Wire.MAGIC ? null : h.version() != Wire.VERSION ? RefusalReason.VERSION
                    : h.groupSize() != config.size() ? RefusalReason.SHARD_PLAN : null;
            if (reason != null && refusals.isPeer(h.fromRank())) {
                refusals.refused(h.fromRank(), reason, "rank " + h.fromRank() + " sent a hello that says " + wrong
                        + "; " + reason.remedy(), "hello");
            } else {
                LOG.log(System.Logger.Level.WARNING, "expert transport: refused a connection from " + from + ": " + wrong);
            }
            Wire.refuse(ctx, wrong);
            return;
        }
        clientNonce = h.nonce();
        clientRank = h.fromRank();
        clientFingerprint = h.fingerprint();
        byte[] proof = handshake.proof("server", clientNonce, serverNonce, clientRank, config.rank(), config.size(),
                clientFingerprint, fingerprint);
        ctx.writeAndFlush(Wire.challenge(ctx.alloc(), serverNonce, proof, fingerprint));
    }

    /** Computes on the serving pool; the event loop only moves bytes. */
    private void serve(ChannelHandlerContext ctx, long id, ExpertCall call) {
        Channel ch = ctx.channel();
        try {
            serving.execute(() -> {
                if (!ch.isActive()) {
                    return; // the caller is gone: nobody wants the result
                }
                try {
                    long t0 = System.nanoTime();
                    float[] y = local.compute(call.layer(), call.experts(), call.counts(), call.x());
                    ch.writeAndFlush(Wire.result(ch.alloc(), id, System.nanoTime() - t0, y));
                } catch (RuntimeException e) {
                    ch.writeAndFlush(Wire.text(ch.alloc(), Wire.FAILED, id, String.valueOf(e.getMessage())));
                }
            });
        } catch (RejectedExecutionException e) {
            ch.writeAndFlush(Wire.text(ch.alloc(), Wire.FAILED, id, "rank " + config.rank() + " is overloaded ("
                    + serving.getQueue().size() + " calls queued) or shutting down"));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            ctx.close(); // the peer stopped pinging: it is gone
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!refusing) {
            LOG.log(System.Logger.Level.WARNING, "expert transport: connection from " + ctx.channel().remoteAddress()
                    + " failed: " + cause);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inbound.remove(ctx.channel());
        if (ready) {
            LOG.log(System.Logger.Level.INFO, "expert transport: rank " + clientRank + " disconnected");
        }
    }
}
