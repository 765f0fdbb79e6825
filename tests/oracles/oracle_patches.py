"""Two small patches to transformers 5.12.1's DeepSeek-V2 code, where it departs from DeepSeek.

The engine follows DeepSeek's semantics for each model_type; these make the oracle do the same
rather than bend the engine to transformers. Each was measured on this transformers build.
apply() is idempotent and returns what it patched, which goes into every reference file.
"""

import math

from transformers.models.deepseek_v2 import modeling_deepseek_v2 as v2


def _yarn_mscale(factor, mscale_all_dim):
    # DeepSeek's yarn_get_mscale (also transformers' deepseek_v3.yarn_get_mscale).
    return 1.0 if factor <= 1 else 0.1 * mscale_all_dim * math.log(factor) + 1.0


def apply():
    if getattr(v2, "_moe_oracle_patched", False):
        return PATCHES
    attention_init = v2.DeepseekV2Attention.__init__
    moe_init = v2.DeepseekV2Moe.__init__

    # 1. DeepseekV2Attention sets scaling = qk_head_dim^-0.5 and leaves out YaRN's mscale^2
    #    (mscale = 0.1 * mscale_all_dim * ln(factor) + 1; 1.59 for V2-Lite), which DeepSeek's own
    #    V2 modelling code, transformers' DeepseekV3Attention and llama.cpp all apply. Apply it as
    #    DeepseekV3Attention does.
    def attention_with_mscale(self, config, layer_idx=None):
        attention_init(self, config, layer_idx)
        rope = config.rope_parameters
        if rope.get("rope_type", "default") != "default" and rope.get("mscale_all_dim"):
            m = _yarn_mscale(rope["factor"], rope["mscale_all_dim"])
            self.scaling = self.scaling * m * m

    # 2. DeepseekV2Moe's group_limited_greedy branch reads self.num_experts, which __init__ never
    #    sets (AttributeError on the first forward). It is the number of routed experts.
    def moe_with_num_experts(self, config):
        moe_init(self, config)
        self.num_experts = config.n_routed_experts

    v2.DeepseekV2Attention.__init__ = attention_with_mscale
    v2.DeepseekV2Moe.__init__ = moe_with_num_experts
    v2._moe_oracle_patched = True
    return PATCHES


PATCHES = [
    "DeepseekV2Attention: attention scale x YaRN mscale^2 (as DeepSeek-V2 and DeepseekV3Attention)",
    "DeepseekV2Moe: num_experts = n_routed_experts (group_limited_greedy reads it, __init__ never sets it)",
]
