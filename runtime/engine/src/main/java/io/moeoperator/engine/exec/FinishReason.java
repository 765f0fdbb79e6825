package io.moeoperator.engine.exec;

/** Why a request stopped producing tokens; {@link #apiName()} is the OpenAI {@code finish_reason}. */
public enum FinishReason {
    /** The model produced an end-of-generation token (or the caller's stop condition matched). */
    STOP("stop"),
    /** {@code maxTokens} reached, or the context is full. */
    LENGTH("length"),
    /** The caller cancelled (e.g. the client disconnected). */
    CANCELLED("cancelled");

    private final String apiName;

    FinishReason(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
