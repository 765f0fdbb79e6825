package io.moeoperator.ep;

import static io.moeoperator.engine.ep.ExpertTransportContract.await;
import static io.moeoperator.ep.NetworkExpertTransportTest.SECRET;
import static io.moeoperator.ep.NetworkExpertTransportTest.config;
import static io.moeoperator.ep.NetworkExpertTransportTest.freePorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertCompute;
import io.moeoperator.engine.ep.ExpertPeerUnavailableException;
import io.moeoperator.engine.ep.TransportObserver;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two ranks on loopback that serve different things refuse each other (issue 12). */
class GroupConsistencyTest {
    static final ExpertCompute ECHO = (l, e, c, x) -> x;
    static final String MODEL_A = "sha256:1a2b3c4d5e6f" + "0".repeat(52);
    static final String MODEL_B = "sha256:5e6f7a8b9c0d" + "0".repeat(52);
    static final String PLAN = "8 experts over 2 ranks: 0-3,4-7";
    static final GroupFingerprint A = new GroupFingerprint(MODEL_A, PLAN, GroupFingerprint.runtimeVersion());

    private final Logger logger = Logger.getLogger(NetworkExpertTransport.class.getName());
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(r.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureWarnings() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        logger.removeHandler(capture);
    }

    /** Two ranks with fingerprints {@code a} and {@code b}, refusing each other until both counted {@code min} refusals. */
    private void assertRefusedBothWays(GroupFingerprint a, GroupFingerprint b, RefusalReason reason, String cause0, String cause1)
            throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE);
             NetworkExpertTransport rank1 = new NetworkExpertTransport(config(1, peers, SECRET), TransportObserver.NONE)) {
            rank0.start(ECHO, a);
            rank1.start(ECHO, b);
            // Several reconnects on each side: the refusal is counted every time, logged once.
            await(Duration.ofSeconds(20), () -> rank0.refusals(1, reason) >= 4 && rank1.refusals(0, reason) >= 4,
                    () -> rank0.peers() + " / " + rank1.peers());
            assertEquals("refused [reason=" + reason.label() + "]: " + cause0, rank0.peers().get(1).detail());
            assertEquals("refused [reason=" + reason.label() + "]: " + cause1, rank1.peers().get(0).detail());
            assertFalse(rank0.allPeersUp());
            assertFalse(rank1.allPeersUp());
            for (RefusalReason other : RefusalReason.values()) {
                if (other != reason) {
                    assertEquals(0, rank0.refusals(1, other), other.label());
                    assertEquals(0, rank1.refusals(0, other), other.label());
                }
            }
            assertEquals(List.of("expert transport: refused rank 1 (" + peers.get(1) + ") [reason=" + reason.label() + "]: "
                    + cause0), warnings.stream().filter(w -> w.startsWith("expert transport: refused rank 1 ")).toList());
            assertEquals(List.of("expert transport: refused rank 0 (" + peers.get(0) + ") [reason=" + reason.label() + "]: "
                    + cause1), warnings.stream().filter(w -> w.startsWith("expert transport: refused rank 0 ")).toList());
            assertTrue(warnings.stream().noneMatch(w -> w.contains(" is down: refused")), "no second line per refusal: " + warnings);

            // No token crosses: a call fails at once, saying why.
            var e = assertThrows(ExecutionException.class, () -> rank0.call(1, new ExpertCall(0, new int[] {4},
                    new int[] {1}, new float[4], 4)).get(5, TimeUnit.SECONDS));
            assertInstanceOf(ExpertPeerUnavailableException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("[reason=" + reason.label() + "]"), e.getCause().getMessage());
        }
    }

    @Test
    void aRankServingAnotherModelIsRefusedAtBothEnds() throws Exception {
        GroupFingerprint b = new GroupFingerprint(MODEL_B, PLAN, A.version());
        String remedy = "; every rank of a group must serve the same model file (a rollout replaces whole groups)";
        assertRefusedBothWays(A, b, RefusalReason.MODEL,
                "model sha256:1a2b3c4d5e6f (this rank) vs sha256:5e6f7a8b9c0d (rank 1)" + remedy,
                "model sha256:5e6f7a8b9c0d (this rank) vs sha256:1a2b3c4d5e6f (rank 0)" + remedy);
    }

    @Test
    void aRankWithAnotherShardPlanIsRefusedAtBothEnds() throws Exception {
        GroupFingerprint b = new GroupFingerprint(MODEL_A, "8 experts over 2 ranks: 0-5,6-7", A.version());
        String remedy = "; give every rank the same --ep-size and --ep-experts (or none)";
        assertRefusedBothWays(A, b, RefusalReason.SHARD_PLAN,
                "shard plan " + PLAN + " (this rank) vs 8 experts over 2 ranks: 0-5,6-7 (rank 1)" + remedy,
                "shard plan 8 experts over 2 ranks: 0-5,6-7 (this rank) vs " + PLAN + " (rank 0)" + remedy);
    }

    @Test
    void aRankOfAnotherVersionIsRefusedAtBothEnds() throws Exception {
        GroupFingerprint b = new GroupFingerprint(MODEL_A, PLAN, "moe 9.9.9 wire " + Wire.VERSION);
        String remedy = "; run the same moe version (image) on every rank of a group";
        assertRefusedBothWays(A, b, RefusalReason.VERSION,
                "version " + A.version() + " (this rank) vs moe 9.9.9 wire " + Wire.VERSION + " (rank 1)" + remedy,
                "version moe 9.9.9 wire " + Wire.VERSION + " (this rank) vs " + A.version() + " (rank 0)" + remedy);
    }

    /** The rollout case: the wrong rank is replaced by one serving the right model, and the group forms. */
    @Test
    void theGroupFormsOnceTheWrongRankIsReplaced() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            rank0.start(ECHO, A);
            try (NetworkExpertTransport wrong = new NetworkExpertTransport(config(1, peers, SECRET), TransportObserver.NONE)) {
                wrong.start(ECHO, new GroupFingerprint(MODEL_B, PLAN, A.version()));
                await(Duration.ofSeconds(20), () -> rank0.refusals(1, RefusalReason.MODEL) > 0, () -> rank0.peers().toString());
            }
            try (NetworkExpertTransport right = new NetworkExpertTransport(config(1, peers, SECRET), TransportObserver.NONE)) {
                right.start(ECHO, A);
                await(Duration.ofSeconds(20), () -> rank0.allPeersUp() && right.allPeersUp(), () -> rank0.peers().toString());
                assertEquals(4, rank0.call(1, new ExpertCall(0, new int[] {4}, new int[] {1}, new float[4], 4))
                        .get(5, TimeUnit.SECONDS).y().length);
                assertEquals("connected", rank0.peers().get(1).detail());
            }
        }
    }

    /** A rank of version 1 (before fingerprints) connecting: refused, counted as a version difference. */
    @Test
    void aVersion1HelloIsRefusedAsAnotherVersion() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            rank0.start(ECHO, A);
            try (Socket s = new Socket("127.0.0.1", peers.get(0).port())) {
                s.setSoTimeout(5000);
                ByteBuffer hello = ByteBuffer.allocate(4 + 1 + Wire.HELLO_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
                hello.order(ByteOrder.BIG_ENDIAN).putInt(1 + Wire.HELLO_PREFIX).order(ByteOrder.LITTLE_ENDIAN)
                        .put(Wire.HELLO).putInt(Wire.MAGIC).put((byte) 1).putInt(2).putInt(1).putInt(0).put(new byte[32]);
                s.getOutputStream().write(hello.array());
                DataInputStream in = new DataInputStream(s.getInputStream());
                int length = in.readInt();
                assertEquals(Wire.REFUSED, in.readByte());
                byte[] reason = new byte[length - 1];
                in.readFully(reason);
                assertEquals("protocol version 1, this rank speaks " + Wire.VERSION, new String(reason, StandardCharsets.UTF_8));
            }
            assertEquals(1, rank0.refusals(1, RefusalReason.VERSION));
        }
    }

    /** A rank of version 1 answers this version's longer HELLO with "authenticate first": also a version difference. */
    @Test
    void aVersion1PeerRefusingTheHelloIsCountedAsAnotherVersion() throws Exception {
        List<PeerAddress> peers = freePorts(2);
        try (ServerSocket old = new ServerSocket(peers.get(1).port());
             NetworkExpertTransport rank0 = new NetworkExpertTransport(config(0, peers, SECRET), TransportObserver.NONE)) {
            rank0.start(ECHO, A);
            try (Socket s = old.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                in.readFully(new byte[in.readInt()]); // its HELLO
                byte[] text = Wire.REFUSED_UNAUTHENTICATED.getBytes(StandardCharsets.UTF_8);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeInt(1 + text.length);
                out.writeByte(Wire.REFUSED);
                out.write(text);
                out.flush();
                // Snapshot the state when it changes: the link retries into the silent socket's backlog next.
                AtomicReference<String> refused = new AtomicReference<>();
                await(Duration.ofSeconds(10), () -> {
                    String detail = rank0.peers().get(1).detail();
                    return detail.startsWith("refused") && refused.compareAndSet(null, detail);
                }, () -> rank0.peers().toString());
                assertEquals("refused [reason=version]: rank 1 refused this rank's hello ('authenticate first'): it speaks "
                        + "another wire protocol than this rank's " + A.version() + "; run the same moe version (image) on every "
                        + "rank of a group", refused.get());
            }
            assertEquals(1, rank0.refusals(1, RefusalReason.VERSION));
        }
    }
}
