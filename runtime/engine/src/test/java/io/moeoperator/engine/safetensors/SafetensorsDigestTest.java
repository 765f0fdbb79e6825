package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expert-parallel ranks agree on a directory's identity however it is sharded, and tell different weights apart. */
class SafetensorsDigestTest {
    @TempDir
    Path dir;

    private String digest(SynthSpec spec, int shards, String name) throws Exception {
        Path d = dir.resolve(name);
        SyntheticHfWriter.write(spec, d, new SyntheticHfWriter.Options(shards, false));
        try (SafetensorsWeightSource s = SafetensorsWeightSource.open(d)) {
            return SafetensorsDigest.of(s);
        }
    }

    @Test
    void shardingDoesNotChangeItButTheWeightsDo() throws Exception {
        SynthSpec spec = SafetensorsModelFilesTest.tiny().build();
        String one = digest(spec, 1, "one");
        assertTrue(one.matches("sha256:[0-9a-f]{64}"), one);
        assertEquals(one, digest(spec, 3, "three"));
        assertNotEquals(one, digest(spec.toBuilder().seed(43).build(), 1, "seed"));
        assertNotEquals(one, digest(spec.toBuilder().expertWeightsScale(2f).build(), 1, "config"));
    }
}
