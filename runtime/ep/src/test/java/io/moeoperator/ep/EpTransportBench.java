package io.moeoperator.ep;

import io.moeoperator.engine.ep.ExpertCall;
import io.moeoperator.engine.ep.ExpertCompute;
import io.moeoperator.engine.ep.TransportObserver;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Per-layer dispatch + combine latency of the network transport on loopback: one call carrying a
 * decode batch's rows for the peer's experts, answered by an echo (so only the transport is timed),
 * next to a plain blocking-socket echo of the same bytes (the floor any library sits on).
 *
 * <p>Rows per call: a decode batch of {@code t} tokens with DeepSeek-V3's top-8 routing in a group of
 * 2 sends about half of its {@code 8t} expert rows to the peer: 4 rows (4 experts) for 1 token, 64
 * rows (32 experts x 2) for 16 tokens.
 *
 * <pre>
 * ./mvnw -o -q test-compile -pl runtime/ep -am
 * ./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test -pl runtime/ep
 * cd runtime/ep && java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.moeoperator.ep.EpTransportBench [calls]
 * </pre>
 */
public final class EpTransportBench {

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        List<PeerAddress> peers = NetworkExpertTransportTest.freePorts(2);
        ExpertCompute echo = (l, e, c, x) -> x;
        try (NetworkExpertTransport a = new NetworkExpertTransport(config(0, peers), TransportObserver.NONE);
             NetworkExpertTransport b = new NetworkExpertTransport(config(1, peers), TransportObserver.NONE);
             RawEcho raw = new RawEcho()) {
            a.start(echo, NetworkExpertTransportTest.FINGERPRINT);
            b.start(echo, NetworkExpertTransportTest.FINGERPRINT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!a.allPeersUp() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.println("| hidden | tokens | rows (experts) | bytes out / back | netty p50 | p90 | p99 | mean | raw socket p50 |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (int hidden : new int[] {1024, 2048}) {
                for (int tokens : new int[] {1, 16}) {
                    int numExperts = tokens == 1 ? 4 : 32;
                    int rowsPerExpert = tokens == 1 ? 1 : 2;
                    ExpertCall call = call(hidden, numExperts, rowsPerExpert);
                    for (int i = 0; i < calls / 2; i++) { // warm-up
                        a.call(1, call).get();
                    }
                    long[] netty = new long[calls];
                    for (int i = 0; i < calls; i++) {
                        long t0 = System.nanoTime();
                        a.call(1, call).get();
                        netty[i] = System.nanoTime() - t0;
                    }
                    int outBytes = 4 + 1 + 8 + 12 + 8 * numExperts + 4 * call.x().length;
                    int backBytes = 4 + 1 + 16 + 4 * call.x().length;
                    long[] rawTimes = raw.measure(outBytes, backBytes, calls);
                    Arrays.sort(netty);
                    System.out.printf("| %d | %d | %d (%d) | %d / %d | %.0f us | %.0f us | %.0f us | %.0f us | %.0f us |%n",
                            hidden, tokens, call.numRows(), numExperts, outBytes, backBytes, us(netty, 0.5), us(netty, 0.9),
                            us(netty, 0.99), Arrays.stream(netty).average().orElse(0) / 1e3, us(rawTimes, 0.5));
                }
            }
        }
        System.exit(0);
    }

    static GroupConfig config(int rank, List<PeerAddress> peers) {
        return new GroupConfig(rank, peers, "127.0.0.1", peers.get(rank).port(), NetworkExpertTransportTest.SECRET,
                Duration.ofSeconds(1), 1);
    }

    static ExpertCall call(int hidden, int numExperts, int rowsPerExpert) {
        int[] experts = new int[numExperts];
        int[] counts = new int[numExperts];
        for (int i = 0; i < numExperts; i++) {
            experts[i] = 2 * i + 1;
            counts[i] = rowsPerExpert;
        }
        float[] x = new float[numExperts * rowsPerExpert * hidden];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return new ExpertCall(3, experts, counts, x, hidden);
    }

    static double us(long[] sortedNanos, double q) {
        return sortedNanos[Math.min(sortedNanos.length - 1, (int) (q * sortedNanos.length))] / 1e3;
    }

    /** A blocking-socket server that reads a length-prefixed frame and answers with {@code back} bytes. */
    static final class RawEcho implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0);
        private final Thread thread;

        RawEcho() throws IOException {
            thread = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    byte[] buf = new byte[1 << 24];
                    while (true) {
                        int len = in.readInt();
                        int back = in.readInt();
                        in.readFully(buf, 0, len - 8);
                        out.writeInt(back);
                        out.write(buf, 0, back - 4);
                        out.flush();
                    }
                } catch (IOException done) {
                    // closed
                }
            }, "raw-echo");
            thread.setDaemon(true);
            thread.start();
        }

        private Socket client;

        long[] measure(int outBytes, int backBytes, int calls) throws IOException {
            if (client == null) {
                client = new Socket("127.0.0.1", server.getLocalPort());
                client.setTcpNoDelay(true);
            }
            DataOutputStream out = new DataOutputStream(client.getOutputStream());
            DataInputStream in = new DataInputStream(client.getInputStream());
            byte[] frame = new byte[outBytes - 4];
            byte[] reply = new byte[backBytes];
            long[] times = new long[calls];
            for (int i = -calls / 2; i < calls; i++) {
                long t0 = System.nanoTime();
                out.writeInt(frame.length + 4);
                out.writeInt(backBytes);
                out.write(frame, 4, frame.length - 4);
                out.flush();
                int len = in.readInt();
                in.readFully(reply, 0, len - 4);
                if (i >= 0) {
                    times[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(times);
            return times;
        }

        @Override
        public void close() throws IOException {
            if (client != null) {
                client.close();
            }
            server.close();
        }
    }
}
