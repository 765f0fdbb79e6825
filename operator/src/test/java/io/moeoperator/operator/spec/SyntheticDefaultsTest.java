package io.moeoperator.operator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moeoperator.engine.synth.SynthSpec;
import org.junit.jupiter.api.Test;

/** The operator plans shards for synthetic:// models without the engine; its default must be `moe synth`'s. */
class SyntheticDefaultsTest {
    @Test
    void defaultExpertCountIsMoeSynths() {
        assertEquals(SynthSpec.demo().numExperts(), ModelUri.Synthetic.DEFAULT_EXPERTS);
    }
}
