package io.moeoperator.engine.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Collects one request's tokens and how it ended. */
final class Collector implements GenerationListener {
    final List<Integer> tokens = new ArrayList<>();
    final CompletableFuture<FinishReason> done = new CompletableFuture<>();
    volatile int promptTokens;
    volatile int completionTokens;

    @Override
    public synchronized void onToken(int tokenId) {
        tokens.add(tokenId);
    }

    @Override
    public void onComplete(FinishReason reason, int promptTokens, int completionTokens) {
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
        done.complete(reason);
    }

    @Override
    public void onError(RuntimeException error) {
        done.completeExceptionally(error);
    }

    FinishReason await() throws Exception {
        return done.get(60, TimeUnit.SECONDS);
    }

    synchronized List<Integer> tokens() {
        return List.copyOf(tokens);
    }
}
