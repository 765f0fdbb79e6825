package io.moeoperator.server.api;

import java.util.List;

/** GET /v1/models. */
public record ModelList(String object, List<Model> data) {

    /** {@code max_model_len} is vLLM's extension: the context length in tokens. */
    public record Model(String id, String object, long created, String ownedBy, int maxModelLen) {}

    public static ModelList of(Model... models) {
        return new ModelList("list", List.of(models));
    }
}
