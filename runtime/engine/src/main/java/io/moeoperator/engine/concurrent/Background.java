package io.moeoperator.engine.concurrent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Loading work done beside other loading work (a tokenizer read while the weights load): on a
 * daemon thread of its own, named for thread dumps, and its fault rethrown as it was thrown there
 * (a ModelFileException stays one, so that its message reaches the user unchanged).
 */
public final class Background {
    private Background() {}

    /** Starts {@code work} on a new daemon thread called {@code name}. */
    public static <T> CompletableFuture<T> start(String name, Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, task -> Thread.ofPlatform().daemon().name(name).start(task));
    }

    /** Waits for the work and returns its value, or throws its fault as it was thrown. */
    public static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Waits for the work to end, however it ends (before closing what it reads). */
    public static void settle(CompletableFuture<?> future) {
        future.handle((value, fault) -> null).join();
    }
}
