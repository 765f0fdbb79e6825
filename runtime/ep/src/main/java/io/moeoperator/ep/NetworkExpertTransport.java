package io.moeoperator.ep;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertCompute;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.engine.ep.ExpertResult;
import io.moeoperator.engine.ep.ExpertTransport;
import io.moeoperator.engine.ep.PeerStatus;
import io.moeoperator.engine.ep.TransportObserver;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link ExpertTransport} between processes: TCP on Netty, one connection from each rank to
 * each other rank (so a pair of ranks has two, each carrying the calls of the rank that opened it),
 * {@link Wire binary frames}, and a {@link Handshake mutual HMAC proof} of the group's shared secret
 * before anything else is accepted. The proof covers each side's {@link GroupFingerprint} (model,
 * shard plan, version): a peer whose fingerprint differs is refused at both ends, each refusal counted
 * per {@link RefusalReason} and each cause logged once, and the link stays down, so neither rank is
 * ready and no token crosses between ranks serving different things. Each connection's two ends
 * are {@link ClientSide} (on the rank that opened it) and {@link ServerSide}.
 *
 * <p>Threads: a small Netty event loop does all socket work and never computes; peers' calls are
 * computed on a bounded pool of serving threads, in arrival order, so a rank serves its peers while
 * its own step thread waits for them, and two ranks calling each other cannot deadlock.
 *
 * <p>Faults: a lost connection fails the calls in flight on it at once; a peer that hangs is caught
 * by the heartbeat (a ping every {@code heartbeat} on an idle connection, dropped after three
 * silent intervals) or by the caller's own deadline. Links reconnect with backoff (100 ms doubling
 * to 2 s) for as long as the transport runs, so a restarted peer rejoins without restarts here.
 */
public final class NetworkExpertTransport implements ExpertTransport {
    private static final System.Logger LOG = System.getLogger(NetworkExpertTransport.class.getName());
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2000;

    private final GroupConfig config;
    private final TransportObserver observer;
    private final Handshake handshake;
    private final Refusals refusals;
    private final EventLoopGroup loop;
    private final PeerLink[] links; // index = rank; null for this rank
    private final ThreadPoolExecutor serving;
    private final Set<Channel> inbound = ConcurrentHashMap.newKeySet();
    private volatile ExpertCompute local;
    private volatile GroupFingerprint fingerprint;
    private volatile Channel server;
    private volatile boolean closed;

    public NetworkExpertTransport(GroupConfig config, TransportObserver observer) {
        this.config = config;
        this.observer = observer;
        this.handshake = new Handshake(config.secret());
        this.refusals = new Refusals(config);
        this.loop = new NioEventLoopGroup(2, new DefaultThreadFactory("moe-ep-io", true));
        this.links = new PeerLink[config.size()];
        for (int r = 0; r < config.size(); r++) {
            if (r != config.rank()) {
                links[r] = new PeerLink(r, config.peers().get(r));
            }
        }
        this.serving = new ThreadPoolExecutor(config.serveThreads(), config.serveThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(1024), new DefaultThreadFactory("moe-ep-serve", true));
    }

    @Override
    public int rank() {
        return config.rank();
    }

    @Override
    public int size() {
        return config.size();
    }

    /** The port this rank listens on (useful when configured as 0 in tests). */
    public int boundPort() {
        Channel s = server;
        return s == null ? -1 : ((InetSocketAddress) s.localAddress()).getPort();
    }

    /**
     * Not enough for this transport: peers must agree on what they serve before they exchange tokens.
     *
     * @throws IllegalStateException always: use {@link #start(ExpertCompute, GroupFingerprint)}
     */
    @Override
    public void start(ExpertCompute local) {
        throw new IllegalStateException("the network expert transport binds the group's fingerprint into its handshake: "
                + "start it with start(local, GroupFingerprint.of(modelDigest, plan))");
    }

    /**
     * Listens for peers, then connects to every peer (retrying until they are up); only peers with an
     * equal {@code fingerprint} are accepted.
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public void start(ExpertCompute local, GroupFingerprint fingerprint) {
        if (this.local != null) {
            throw new IllegalStateException("the transport is already started");
        }
        this.fingerprint = fingerprint;
        this.local = local;
        ChannelFuture bound = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Frames frames = new Frames();
                        framing(ch.pipeline(), frames).addLast(new ServerSide(config, handshake, refusals, fingerprint, local,
                                serving, inbound, frames));
                    }
                })
                .bind(config.listenHost(), config.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            throw new IllegalStateException("cannot listen for expert peers on " + config.listenHost() + ":" + config.port()
                    + ": " + bound.cause().getMessage(), bound.cause());
        }
        server = bound.channel();
        LOG.log(System.Logger.Level.INFO, "expert transport: rank {0} of {1} listening on {2}; peers {3}; fingerprint: model {4},"
                + " shard plan {5}, version {6}", config.rank(), config.size(), server.localAddress(), config.peers(),
                fingerprint.model(), fingerprint.shardPlan(), fingerprint.version());
        for (PeerLink link : links) {
            if (link != null) {
                link.connect();
            }
        }
    }

    private ChannelPipeline framing(ChannelPipeline p, Frames frames) {
        long hb = config.heartbeat().toMillis();
        return p.addLast(frames)
                .addLast(new LengthFieldPrepender(4))
                .addLast(new IdleStateHandler(3 * hb, hb, 0, TimeUnit.MILLISECONDS));
    }

    /**
     * Length-prefixed frames, at most {@link Wire#MAX_HANDSHAKE_FRAME} bytes until the other side has
     * authenticated: nobody without the secret can make this rank buffer a large frame.
     */
    static final class Frames extends LengthFieldBasedFrameDecoder {
        private boolean open; // event loop only

        Frames() {
            super(Wire.MAX_FRAME, 0, 4, 0, 4);
        }

        void open() {
            open = true;
        }

        @Override
        protected long getUnadjustedFrameLength(ByteBuf buf, int offset, int length, ByteOrder order) {
            long n = super.getUnadjustedFrameLength(buf, offset, length, order);
            if (!open && n > Wire.MAX_HANDSHAKE_FRAME) {
                throw new TooLongFrameException("a frame of " + n + " bytes before authentication (at most "
                        + Wire.MAX_HANDSHAKE_FRAME + ")");
            }
            return n;
        }
    }

    @Override
    public CompletableFuture<ExpertResult> call(int peer, ExpertCall call) {
        if (peer == config.rank() || peer < 0 || peer >= links.length) {
            throw new IllegalArgumentException("rank " + config.rank() + " cannot call rank " + peer);
        }
        return links[peer].call(call);
    }

    @Override
    public List<PeerStatus> peers() {
        List<PeerStatus> out = new ArrayList<>(links.length);
        for (int r = 0; r < links.length; r++) {
            PeerLink l = links[r];
            out.add(l == null ? new PeerStatus(r, config.peers().get(r).toString(), true, "this rank")
                    : new PeerStatus(r, l.address.toString(), l.channel != null, l.detail));
        }
        return out;
    }

    /**
     * Connections with {@code peer} refused for {@code reason} since start, counted at this rank's end
     * of each (its own link to the peer, and the peer's link to it).
     */
    public long refusals(int peer, RefusalReason reason) {
        return refusals.count(peer, reason);
    }

    @Override
    public void close() {
        closed = true;
        Channel s = server;
        if (s != null) {
            s.close();
        }
        inbound.forEach(Channel::close);
        for (PeerLink l : links) {
            if (l != null) {
                l.shutdown();
            }
        }
        serving.shutdownNow();
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** A call this rank sent and awaits. */
    private record Pending(CompletableFuture<ExpertResult> result, long startNanos, long bytesSent) {}

    /** This rank's connection to one peer: the calls it sends there, and reconnecting. */
    final class PeerLink {
        final int peer;
        final PeerAddress address;
        final Map<Long, Pending> pending = new ConcurrentHashMap<>();
        final AtomicLong nextCallId = new AtomicLong();
        /** Set once the handshake succeeded; null while down. */
        volatile Channel channel;
        volatile String detail = "not connected yet";
        private long backoffMs = MIN_BACKOFF_MS;
        private String lastLogged;

        PeerLink(int peer, PeerAddress address) {
            this.peer = peer;
            this.address = address;
        }

        void connect() {
            if (closed) {
                return;
            }
            new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 3000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Frames frames = new Frames();
                            framing(ch.pipeline(), frames).addLast(new ClientSide(config, handshake, refusals, fingerprint,
                                    PeerLink.this, frames));
                        }
                    })
                    .connect(address.host(), address.port())
                    .addListener((ChannelFuture f) -> {
                        if (!f.isSuccess()) {
                            down("unreachable: " + f.cause().getMessage(), false);
                        }
                    });
        }

        CompletableFuture<ExpertResult> call(ExpertCall call) {
            Channel ch = channel;
            if (ch == null) {
                return CompletableFuture.failedFuture(unavailable("is unreachable: " + detail));
            }
            long id = nextCallId.incrementAndGet();
            ByteBuf frame = Wire.call(ch.alloc(), id, call);
            CompletableFuture<ExpertResult> result = new CompletableFuture<>();
            pending.put(id, new Pending(result, System.nanoTime(), frame.readableBytes() + 4L));
            result.whenComplete((r, e) -> pending.remove(id)); // also when the caller gives up
            ch.writeAndFlush(frame).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(unavailable("could not be sent the call: " + f.cause().getMessage()));
                }
            });
            return result;
        }

        void received(long id, long computeNanos, float[] y, long frameBytes) {
            Pending p = pending.remove(id);
            if (p != null) {
                observer.callCompleted(peer, System.nanoTime() - p.startNanos(), computeNanos, p.bytesSent(), frameBytes + 4);
                p.result().complete(new ExpertResult(y, computeNanos));
            }
        }

        void failed(long id, String message) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.result().completeExceptionally(new IllegalStateException("expert rank " + peer + ": " + message));
            }
        }

        synchronized void up(Channel ch) {
            channel = ch;
            detail = "connected";
            backoffMs = MIN_BACKOFF_MS;
            log(System.Logger.Level.INFO, "expert transport: connected to rank " + peer + " at " + address);
            refusals.connected(peer);
        }

        /**
         * The connection is gone (or never came): fail its calls and try again later.
         *
         * @param refused whether it was a refusal, which {@link Refusals} has logged already
         */
        synchronized void down(String why, boolean refused) {
            channel = null;
            detail = why;
            for (Pending p : List.copyOf(pending.values())) {
                p.result().completeExceptionally(unavailable("was lost during the call: " + why));
            }
            if (closed) {
                return;
            }
            if (!refused) {
                log(System.Logger.Level.WARNING, "expert transport: rank " + peer + " at " + address + " is down: " + why
                        + " (retrying)");
            }
            loop.schedule(this::connect, backoffMs, TimeUnit.MILLISECONDS);
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }

        void shutdown() {
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
            for (Pending p : List.copyOf(pending.values())) {
                p.result().completeExceptionally(unavailable("was lost: the transport is closing"));
            }
        }

        /** One line per change of state, not one per retry. */
        private void log(System.Logger.Level level, String message) {
            String key = level + detail;
            if (!key.equals(lastLogged)) {
                lastLogged = key;
                LOG.log(level, message);
            }
        }

        ExpertPeerUnavailableException unavailable(String what) {
            return new ExpertPeerUnavailableException(peer, "expert rank " + peer + " (" + address + ") " + what);
        }
    }
}
