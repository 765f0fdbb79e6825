package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real kube-controller-manager (built by tests/apiserver/prepare.sh beside the API server) with
 * the StatefulSet controller and the garbage collector: StatefulSets get real pods, and deleting a
 * MoEDeployment really collects its children. No scheduler or kubelet runs, so pods stay Pending
 * until a test plays the kubelet ({@link ClusterFixture#markGroupReady}).
 */
final class ControllerManager {
    static final Path LOG = Path.of("target", "kube-controller-manager.log").toAbsolutePath();

    private ControllerManager() {}

    static Process start(String testDir, String kubeConfigYaml) {
        Path binary;
        try (var versions = Files.list(Path.of(testDir, "k8s"))) {
            binary = versions.map(v -> v.resolve("kube-controller-manager")).filter(Files::isExecutable).findFirst()
                    .orElse(null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (binary == null) {
            fail("no kube-controller-manager under " + testDir + "/k8s: run tests/apiserver/prepare.sh (bin/test does)");
        }
        try {
            Path kubeconfig = Files.createTempFile("controller-manager", ".kubeconfig");
            Files.writeString(kubeconfig, kubeConfigYaml);
            Files.createDirectories(LOG.getParent());
            Process process = new ProcessBuilder(List.of(binary.toString(),
                    "--kubeconfig=" + kubeconfig,
                    "--controllers=statefulset,garbagecollector",
                    "--leader-elect=false",
                    "--port=0",
                    "--secure-port=0",
                    "--concurrent-statefulset-syncs=10",
                    "--v=1"))
                    .redirectErrorStream(true).redirectOutput(LOG.toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                process.destroy();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "kube-controller-manager-stop"));
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
    }
}
