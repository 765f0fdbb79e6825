package io.moeoperator.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.ExpertTransportContract;
import io.moeoperator.engine.ep.TransportObserver;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.ModelDigest;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** Ranks talking over loopback TCP compute bit for bit what one process does. */
class NetworkParityTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} gating, {1}, {2} ranks")
    @CsvSource({"SOFTMAX, F32, 2", "SIGMOID, Q8_0, 4", "SOFTMAX, F16, 3"})
    void logitsAreBitIdenticalToOneProcess(GatingFunction gating, GgmlType type, int size) throws Exception {
        SynthSpec spec = SynthSpec.builder().vocabSize(384).hidden(64).numLayers(3).numHeads(4).qLoraRank(32)
                .kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32).numExperts(10)
                .numExpertsUsed(3).numSharedExperts(1).numDenseLeading(1).contextLength(256).gating(gating)
                .routerBias(gating == GatingFunction.SIGMOID).expertWeightsNorm(gating == GatingFunction.SIGMOID)
                .weightType(type).logitScale(4f).seed(size).build();
        Path model = dir.resolve(gating + "-" + type + ".gguf");
        SyntheticModelWriter.write(spec, model);
        String digest = ModelDigest.of(model);
        List<PeerAddress> peers = NetworkExpertTransportTest.freePorts(size);
        List<NetworkExpertTransport> transports = new ArrayList<>();
        List<LoadedModel> ranks = new ArrayList<>();
        try (LoadedModel single = LoadedModel.open(model, 1)) {
            for (int r = 0; r < size; r++) {
                NetworkExpertTransport t = new NetworkExpertTransport(
                        NetworkExpertTransportTest.config(r, peers, NetworkExpertTransportTest.SECRET), TransportObserver.NONE);
                transports.add(t);
                ranks.add(LoadedModel.open(model, 1, new ExpertParallelism(r, size, null, t, Duration.ofSeconds(10))));
                t.start(ranks.get(r).model()::computeExperts, GroupFingerprint.of(digest, ranks.get(r).model().shardPlan()));
            }
            ExpertTransportContract.await(Duration.ofSeconds(15),
                    () -> transports.stream().allMatch(NetworkExpertTransport::allPeersUp), () -> "peers not up");
            int[] prompt = single.tokenizer().encode("Tokens travel to their experts and back", true, true);
            for (int r = 0; r < size; r++) {
                DeepSeek2Model rank = ranks.get(r).model();
                LatentKvCache expectedCache = single.model().newCache();
                LatentKvCache cache = rank.newCache();
                float[] expected = single.model().forward(prompt, expectedCache);
                float[] actual = rank.forward(prompt, cache);
                for (int step = 0; step < 6; step++) {
                    assertArrayEquals(expected, actual, "rank " + r + " of " + size + ", step " + step);
                    int next = argmax(expected);
                    expected = single.model().forward(new int[] {next}, expectedCache);
                    actual = rank.forward(new int[] {next}, cache);
                }
            }
        } finally {
            transports.forEach(NetworkExpertTransport::close);
            ranks.forEach(LoadedModel::close);
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
