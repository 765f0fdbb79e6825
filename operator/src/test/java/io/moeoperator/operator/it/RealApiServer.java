package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One real kube-apiserver + etcd per test JVM (fabric8 kube-api-test), with the committed CRD from
 * crds/ applied, and a real kube-controller-manager (StatefulSet controller and garbage collector)
 * beside them. The binaries come from tests/apiserver/prepare.sh; without them the tests fail and
 * say how to get them, they never skip.
 */
public final class RealApiServer {
    static final Path CRD = Path.of("..", "crds", "moedeployments.serving.moe-operator.io-v1.yml").toAbsolutePath().normalize();
    private static KubeAPIServer server;
    private static String kubeConfigYaml;

    private RealApiServer() {}

    public static synchronized String kubeConfigYaml() {
        if (server == null) start();
        return kubeConfigYaml;
    }

    public static KubernetesClient newClient() {
        Config config = Config.fromKubeconfig(kubeConfigYaml());
        config.setRequestTimeout(30_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    public static void createNamespace(KubernetesClient client, String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    }

    /** The kube-api-test directory (bin/test exports it; failsafe passes it on). */
    static String testDir() {
        return System.getProperty("moe.kube-api-test.dir", System.getenv("KUBE_API_TEST_DIR"));
    }

    private static void start() {
        String dir = testDir();
        Path binaries = dir == null ? null : Path.of(dir, "k8s");
        if (binaries == null || !Files.isDirectory(binaries)) {
            fail("no kube-apiserver binaries under " + binaries + ": run tests/apiserver/prepare.sh (bin/test does) "
                    + "or point KUBE_API_TEST_DIR at a kube-api-test directory");
        }
        try {
            Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"))); // etcd's data goes there
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(dir)
                .withUpdateKubeConfig(false)
                .withStartupTimeout(120_000)
                .build());
        server.start();
        kubeConfigYaml = server.getKubeConfigYaml();
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "kube-apiserver-stop"));
        ControllerManager.start(dir, kubeConfigYaml);
        try (KubernetesClient client = newClient(); InputStream crd = Files.newInputStream(CRD)) {
            CustomResourceDefinition applied = client.apiextensions().v1().customResourceDefinitions().load(crd).create();
            client.apiextensions().v1().customResourceDefinitions().resource(applied)
                    .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(cond -> cond.getType().equals("Established") && cond.getStatus().equals("True")), 60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + CRD, e);
        }
    }

    public static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Polls until the check passes (returns normally) or the time is up (rethrows its last failure). */
    public static void await(Duration timeout, Runnable check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | RuntimeException e) {
                if (System.nanoTime() > deadline) throw e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
