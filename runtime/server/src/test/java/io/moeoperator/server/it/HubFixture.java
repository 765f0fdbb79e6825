package io.moeoperator.server.it;

import io.moeoperator.engine.safetensors.SafetensorsCheckpoint;
import io.moeoperator.server.model.hub.ExpertSelection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What a process must download of a Hugging Face directory, computed from the directory itself. */
public final class HubFixture {
    private HubFixture() {}

    /**
     * The bytes of every non-weight file (config, tokenizer, index) plus those of the tensors
     * {@code selection} needs: what a download for it must come to, headers aside.
     */
    public static long neededBytes(Path dir, ExpertSelection selection) throws IOException {
        long bytes = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                bytes += p.toString().endsWith(".safetensors") ? 0 : Files.size(p);
            }
        }
        try (SafetensorsCheckpoint source = SafetensorsCheckpoint.open(dir)) {
            for (SafetensorsCheckpoint.Located t : source.tensors().values()) {
                bytes += selection.needs(t.tensor().name()) ? t.tensor().numBytes() : 0;
            }
        }
        return bytes;
    }
}
