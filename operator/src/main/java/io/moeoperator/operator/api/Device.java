package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where the runtime computes. */
public enum Device {
    @JsonProperty("cpu") CPU,
    @JsonProperty("cuda") CUDA;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
