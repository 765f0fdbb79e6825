package io.moeoperator.server.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * Hugging Face's own environment variables, as every HF client reads them: {@code HF_TOKEN} (for
 * gated or private repositories; the operator sets it from spec.hfTokenSecret) and
 * {@code HF_ENDPOINT} (a mirror, or a local server in tests).
 */
@ConfigMapping(prefix = "hf")
public interface HuggingFaceConfig {
    Optional<String> token();

    @WithDefault("https://huggingface.co")
    String endpoint();
}
