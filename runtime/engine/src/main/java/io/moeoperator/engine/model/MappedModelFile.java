package io.moeoperator.engine.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BiFunction;

/**
 * Maps a model file read-only into an arena of its own and hands the mapping to the format's reader;
 * if reading fails, the mapping is released. One place for what GGUF and safetensors files share.
 */
public final class MappedModelFile {

    /** Reads a format's structure from its mapping; owns {@code arena} once it returns. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(Arena arena, MemorySegment mapping);
    }

    private MappedModelFile() {}

    /**
     * {@code sparse}: the caller reads only part of the tensors (an expert-parallel rank), so faults
     * read no ahead from the first read of the header on ({@link PageAdvice#random}). Faults are made
     * by {@code fault} (message, cause or null), so each format throws its own exception type.
     */
    public static <T> T open(Path path, boolean sparse, BiFunction<String, Throwable, ? extends ModelFileException> fault,
                             Reader<T> reader) {
        if (!Files.isRegularFile(path)) {
            throw fault.apply("model file " + path + " does not exist or is not a regular file", null);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (sparse) {
                PageAdvice.random(mapping);
            }
            return reader.read(arena, mapping);
        } catch (IOException e) {
            arena.close();
            throw fault.apply("model file " + path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
