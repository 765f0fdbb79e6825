package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moeoperator.engine.model.TensorRole;
import org.junit.jupiter.api.Test;

/** {@link SafetensorsWeightSource#routedExpert}: expert tensors by transformers' names, nothing else. */
class RoutedExpertNameTest {

    @Test
    void everyRoutedExpertWeightAndScaleNamesItsExpert() {
        for (TensorRole role : TensorRole.values()) {
            for (int layer : new int[] {0, 3, 61}) {
                for (int expert : new int[] {0, 7, 255}) {
                    String name = SafetensorsWeightSource.tensorName(role, layer, expert, false);
                    int want = role.perExpert() ? expert : -1;
                    assertEquals(want, SafetensorsWeightSource.routedExpert(name), name);
                    assertEquals(want, SafetensorsWeightSource.routedExpert(SafetensorsWeightSource.scaleName(name)), name);
                }
            }
        }
    }

    @Test
    void namesThatOnlyLookAlikeAreNotExperts() {
        for (String name : new String[] {
                "model.layers.1.mlp.shared_experts.gate_proj.weight",
                "model.layers.1.mlp.experts.3.gate_proj.bias",
                "model.layers.1.mlp.experts.x.gate_proj.weight",
                "model.layers.-1.mlp.experts.3.gate_proj.weight",
                "model.layers.1.mlp.experts.-3.gate_proj.weight",
                "model.layers.1.mlp.experts.3.gate_proj.weight.extra",
                "model.layers.1.mlp.gate.weight",
                "model.layers.1.mlp.experts.3.up_proj.weight_scale",
                "lm_head.weight",
                ""}) {
            assertEquals(-1, SafetensorsWeightSource.routedExpert(name), name);
        }
    }
}
