package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The safetensors weights of a Hugging Face model directory: {@code model.safetensors}, or shards
 * ({@code model-00001-of-00003.safetensors}, ...) listed by {@code model.safetensors.index.json},
 * whose {@code weight_map} names each tensor's shard. Every shard is opened (its header checked)
 * up front; the index must name only shards that exist and tensors they hold.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** A shard name in the index: a plain file name in the directory, nothing that climbs out of it. */
    private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9._-]+\\.safetensors");

    /** Where a tensor lives. */
    public record Located(SafetensorsFile file, SafetensorsFile.Tensor tensor) {
        public MemorySegment data() {
            return file.data(tensor);
        }

        public String fileName() {
            return file.path().getFileName().toString();
        }
    }

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, Located> tensors;

    private SafetensorsCheckpoint(Path dir, List<SafetensorsFile> files, Map<String, Located> tensors) {
        this.dir = dir;
        this.files = files;
        this.tensors = tensors;
    }

    public static SafetensorsCheckpoint open(Path dir) {
        return open(dir, false);
    }

    /** {@code sparse}: the caller reads only part of the tensors (see {@link SafetensorsFile#open(Path, boolean)}). */
    public static SafetensorsCheckpoint open(Path dir, boolean sparse) {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index, sparse);
        }
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single, sparse);
            Map<String, Located> tensors = new LinkedHashMap<>();
            f.tensors().forEach((name, t) -> tensors.put(name, new Located(f, t)));
            return new SafetensorsCheckpoint(dir, List.of(f), Collections.unmodifiableMap(tensors));
        }
        List<String> others = safetensorsFiles(dir);
        throw new ModelFileException("model directory " + dir + " has neither " + SINGLE + " nor " + INDEX
                + (others.isEmpty() ? "" : " (it has " + others + ": shards need their index)"));
    }

    private static SafetensorsCheckpoint openSharded(Path dir, Path index, boolean sparse) {
        Map<?, ?> weightMap = weightMap(index);
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        Map<String, Located> tensors = new LinkedHashMap<>();
        try {
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String name = (String) e.getKey();
                if (!(e.getValue() instanceof String shard) || !SHARD_NAME.matcher(shard).matches()) {
                    throw new ModelFileException("model file " + INDEX + ": tensor " + name + " is mapped to "
                            + e.getValue() + ", not a .safetensors file name in the directory");
                }
                SafetensorsFile f = byShard.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new ModelFileException("model file " + INDEX + ": tensor " + name + " is in shard " + shard
                                + ", which is missing from " + dir);
                    }
                    f = SafetensorsFile.open(p, sparse);
                    byShard.put(shard, f);
                }
                SafetensorsFile.Tensor t = f.tensors().get(name);
                if (t == null) {
                    throw new ModelFileException("model file " + INDEX + ": tensor " + name + " is mapped to shard " + shard
                            + ", which does not contain it");
                }
                tensors.put(name, new Located(f, t));
            }
        } catch (RuntimeException e) {
            byShard.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(dir, List.copyOf(byShard.values()), Collections.unmodifiableMap(tensors));
    }

    private static Map<?, ?> weightMap(Path index) {
        Object doc;
        try {
            doc = Json.parse(Files.readString(index));
        } catch (IOException | UncheckedIOException e) {
            throw new ModelFileException("model file " + INDEX + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException("model file " + INDEX + ": " + e.getMessage(), e);
        }
        if (!(doc instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new ModelFileException("model file " + INDEX + ": no weight_map object");
        }
        if (weightMap.isEmpty()) {
            throw new ModelFileException("model file " + INDEX + ": weight_map names no tensors");
        }
        return weightMap;
    }

    private static List<String> safetensorsFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public Path dir() {
        return dir;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    public Map<String, Located> tensors() {
        return tensors;
    }

    /** The tensor, or null when no shard holds it. */
    public Located find(String name) {
        return tensors.get(name);
    }

    /** Bytes of every shard, all mapped. */
    public long byteSize() {
        long bytes = 0;
        for (SafetensorsFile f : files) {
            bytes += f.byteSize();
        }
        return bytes;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return dir + " (" + files.size() + " safetensors file" + (files.size() == 1 ? "" : "s") + ")";
    }
}
