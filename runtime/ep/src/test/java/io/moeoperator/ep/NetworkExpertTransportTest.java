package io.moeoperator.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertCompute;
import io.moeoperator.engine.ep.ExpertTransport;
import io.moeoperator.engine.ep.ExpertTransportContract;
import io.moeoperator.engine.ep.TransportObserver;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The network transport on loopback against the transport contract, plus what only it has: the secret. */
class NetworkExpertTransportTest extends ExpertTransportContract {
    static final byte[] SECRET = "a shared secret of the test group".getBytes(StandardCharsets.UTF_8);
    /** What every rank of a test group serves (the transport compares it, it does not interpret it). */
    static final GroupFingerprint FINGERPRINT = new GroupFingerprint("sha256:" + "ab".repeat(32),
            "8 experts over 2 ranks: 0-3,4-7", GroupFingerprint.runtimeVersion());

    static List<PeerAddress> freePorts(int n) throws IOException {
        List<PeerAddress> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                out.add(new PeerAddress("127.0.0.1", s.getLocalPort()));
            }
        }
        return out;
    }

    static GroupConfig config(int rank, List<PeerAddress> peers, byte[] secret) {
        return new GroupConfig(rank, peers, "127.0.0.1", peers.get(rank).port(), secret, Duration.ofMillis(300), 2);
    }

    @Override
    protected Group newGroup(ExpertCompute[] computes) throws IOException {
        List<PeerAddress> peers = freePorts(computes.length);
        NetworkExpertTransport[] ranks = new NetworkExpertTransport[computes.length];
        for (int r = 0; r < computes.length; r++) {
            ranks[r] = new NetworkExpertTransport(config(r, peers, SECRET), TransportObserver.NONE);
            ranks[r].start(computes[r], FINGERPRINT);
        }
        return new Group() {
            @Override
            public ExpertTransport transport(int rank) {
                return ranks[rank];
            }

            @Override
            public void kill(int rank) {
                ranks[rank].close();
            }

            @Override
            public void restart(int rank, ExpertCompute compute) {
                ranks[rank] = new NetworkExpertTransport(config(rank, peers, SECRET), TransportObserver.NONE);
                ranks[rank].start(compute, FINGERPRINT);
            }

            @Override
            public void close() {
                for (NetworkExpertTransport t : ranks) {
                    t.close();
                }
            }
        };
    }

    @Test
    void aRankWithAnotherSecretIsRefusedBothWays() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        ExpertCompute echo = (l, e, c, x) -> x;
        try (NetworkExpertTransport good = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE);
             NetworkExpertTransport bad = new NetworkExpertTransport(
                     config(1, peers, "another secret entirely!".getBytes(StandardCharsets.UTF_8)), TransportObserver.NONE)) {
            good.start(echo, FINGERPRINT);
            bad.start(echo, FINGERPRINT);
            await(Duration.ofSeconds(10), () -> good.peers().get(1).detail().contains("authentication failed")
                    && bad.peers().get(0).detail().contains("authentication failed")
                    && good.refusals(1, RefusalReason.SECRET) > 0 && bad.refusals(0, RefusalReason.SECRET) > 0,
                    () -> good.peers() + " / " + bad.peers());
            assertTrue(good.peers().get(1).detail().startsWith("refused [reason=secret]: authentication failed: rank 1 "
                    + "does not hold this rank's shared secret; give every rank the same --ep-secret-file"),
                    good.peers().get(1).detail());
            assertFalse(good.allPeersUp());
            assertFalse(bad.allPeersUp());
            var e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> good.call(1, new ExpertCall(0, new int[] {0}, new int[] {1}, new float[4], 4)).get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("authentication failed"), e.getCause().getMessage());
        }
    }

    /** A client that does not authenticate gets no service: its call frame is answered with REFUSED and the connection closes. */
    @Test
    void anUnauthenticatedConnectionIsRefused() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            rank0.start((l, e, c, x) -> x, FINGERPRINT);
            try (Socket s = new Socket("127.0.0.1", peers.get(0).port())) {
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                byte[] call = {0, 0, 0, 9, Wire.CALL, 1, 0, 0, 0, 0, 0, 0, 0};
                out.write(call);
                out.flush();
                DataInputStream in = new DataInputStream(s.getInputStream());
                int length = in.readInt();
                assertEquals(Wire.REFUSED, in.readByte());
                byte[] reason = new byte[length - 1];
                in.readFully(reason);
                assertEquals("authenticate first", new String(reason, StandardCharsets.UTF_8));
                assertEquals(-1, readToEnd(s.getInputStream()), "closed after refusing");
            }
        }
    }

    /** Nobody without the secret can make a rank buffer a large frame. */
    @Test
    void aLargeFrameBeforeAuthenticationDropsTheConnection() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            rank0.start((l, e, c, x) -> x, FINGERPRINT);
            try (Socket s = new Socket("127.0.0.1", peers.get(0).port())) {
                s.setSoTimeout(600); // before the heartbeat (900 ms here) or the handshake timeout would close it
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {0x10, 0, 0, 0, Wire.HELLO}); // claims a 256 MiB frame
                out.flush();
                assertEquals(-1, readToEnd(s.getInputStream()), "the rank closes the connection at once");
            }
        }
    }

    @Test
    void reportsRoundTripsAndBytesPerPeer() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        AtomicLong calls = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        AtomicLong received = new AtomicLong();
        TransportObserver observer = (peer, rtt, compute, out, in) -> {
            assertEquals(1, peer);
            assertTrue(rtt >= compute && compute >= 0);
            calls.incrementAndGet();
            sent.addAndGet(out);
            received.addAndGet(in);
        };
        try (NetworkExpertTransport a = new NetworkExpertTransport(config(0, peers, SECRET), observer);
             NetworkExpertTransport b = new NetworkExpertTransport(config(1, peers, SECRET), TransportObserver.NONE)) {
            a.start((l, e, c, x) -> x, FINGERPRINT);
            b.start((l, e, c, x) -> new float[x.length / 2 * 2], FINGERPRINT);
            await(Duration.ofSeconds(10), () -> a.allPeersUp(), () -> a.peers().toString());
            float[] x = new float[3 * 64];
            assertArrayEquals(new float[x.length], a.call(1, new ExpertCall(2, new int[] {1, 2}, new int[] {1, 2}, x, 64))
                    .get(5, TimeUnit.SECONDS).y());
            assertEquals(1, calls.get());
            // 4 length + 1 type + 8 id + 12 header + 2 x 8 expert entries + 768 floats
            assertEquals(4 + 1 + 8 + 12 + 16 + 4 * x.length, sent.get());
            assertEquals(4 + 1 + 16 + 4 * x.length, received.get());
        }
    }

    @Test
    void aHungPeerIsDroppedByTheHeartbeat() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        // A fake rank 1 that accepts the TCP connection and then never answers anything.
        try (ServerSocket silent = new ServerSocket(peers.get(1).port());
             NetworkExpertTransport a = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            a.start((l, e, c, x) -> x, FINGERPRINT);
            Socket accepted = silent.accept();
            try {
                long t0 = System.nanoTime();
                await(Duration.ofSeconds(5), () -> a.peers().get(1).detail().startsWith("no answer for 900 ms"), () -> a.peers().toString());
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
            } finally {
                accepted.close();
            }
        }
    }

    private static int readToEnd(InputStream in) throws IOException {
        int b;
        while ((b = in.read()) >= 0) {
            // drain
        }
        return b;
    }
}
