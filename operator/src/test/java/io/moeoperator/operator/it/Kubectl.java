package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The real kubectl (built beside the API server by tests/apiserver/prepare.sh), as users run it. */
final class Kubectl {
    private Kubectl() {}

    static Path binary() throws IOException {
        Path k8s = Path.of(RealApiServer.testDir(), "k8s");
        try (Stream<Path> versions = Files.list(k8s)) {
            return versions.map(v -> v.resolve("kubectl")).filter(Files::isExecutable).findFirst()
                    .orElseThrow(() -> new AssertionError("no kubectl under " + k8s + "; run tests/apiserver/prepare.sh"));
        }
    }

    /** Runs kubectl, asserts it succeeded and returns its standard output. */
    static String run(String kubeConfigYaml, String... args) throws IOException, InterruptedException {
        Path config = Files.createTempFile("kubeconfig", ".yaml");
        Files.writeString(config, kubeConfigYaml);
        // A fresh discovery cache: each test JVM's API server has new ports and CRDs.
        Path cache = Files.createTempDirectory("kubectl-cache");
        List<String> command = new ArrayList<>(List.of(binary().toString(), "--kubeconfig", config.toString(),
                "--cache-dir", cache.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl " + String.join(" ", args) + " hung");
        Files.deleteIfExists(config);
        assertEquals(0, p.exitValue(), "kubectl " + String.join(" ", args) + ": " + out);
        return out;
    }
}
