package io.moeoperator.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.Callable;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code moe-operator}: runs the operator against the current kubeconfig (or in-cluster config). */
@Command(name = "moe-operator", mixinStandardHelpOptions = true, version = OperatorConfig.VERSION,
        description = "Reconciles MoEDeployment resources (serving.moe-operator.io/v1alpha1) into serving groups.")
public final class OperatorMain implements Callable<Integer> {

    @Option(names = "--namespace", split = ",", defaultValue = "${env:MOE_OPERATOR_NAMESPACES}",
            description = "namespace(s) to watch, comma-separated; default: all (env MOE_OPERATOR_NAMESPACES)")
    Set<String> namespaces = new java.util.TreeSet<>();

    @Option(names = "--runtime-image", description = "default runtime image for device cpu (default ${DEFAULT-VALUE})")
    String runtimeImage = OperatorConfig.DEFAULT_RUNTIME_IMAGE;

    @Option(names = "--cuda-runtime-image", description = "default runtime image for device cuda (default ${DEFAULT-VALUE})")
    String cudaRuntimeImage = OperatorConfig.DEFAULT_CUDA_RUNTIME_IMAGE;

    @Option(names = "--expert-port", description = "port on which the ranks of a group exchange tokens (default ${DEFAULT-VALUE})")
    int expertPort = OperatorConfig.DEFAULT_EXPERT_PORT;

    @Option(names = "--prometheus-url", description = "Prometheus for autoscaling when a MoEDeployment names none (default ${DEFAULT-VALUE})")
    String prometheusUrl = OperatorConfig.DEFAULT_PROMETHEUS_URL;

    @Option(names = "--http-host", description = "interface for /healthz, /readyz and /metrics (default ${DEFAULT-VALUE})")
    String httpHost = "0.0.0.0";

    @Option(names = "--http-port", description = "port for /healthz, /readyz and /metrics (default ${DEFAULT-VALUE})")
    int httpPort = 8080;

    @Option(names = "--leader-election", negatable = true, description = "hold a Lease before reconciling, so replicas can stand by (default ${DEFAULT-VALUE})")
    boolean leaderElection = true;

    @Option(names = "--lease-name", description = "default ${DEFAULT-VALUE}")
    String leaseName = "moe-operator-leader";

    @Option(names = "--lease-namespace", description = "default: the operator pod's namespace, else 'default'")
    String leaseNamespace;

    @Option(names = "--resync-interval", description = "longest time between two reconciles of a deployment, as an ISO-8601 "
            + "duration; children that are not watched (its Secret, ServiceMonitor) are checked for hand edits this often "
            + "(default ${DEFAULT-VALUE})")
    Duration resyncInterval = OperatorConfig.DEFAULT_RESYNC_INTERVAL;

    public static void main(String[] args) {
        System.exit(new CommandLine(new OperatorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        namespaces.removeIf(String::isBlank);
        OperatorConfig config = new OperatorConfig(runtimeImage, cudaRuntimeImage, expertPort, namespaces, prometheusUrl)
                .withResyncInterval(resyncInterval);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        KubernetesClient client = new KubernetesClientBuilder().build();
        // SIGTERM: the hook asks main to stop and waits until it did; the JVM exits when hooks return,
        // so without the wait it could exit before the operator stopped and gave up its Lease.
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch stoppedCleanly = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.countDown();
            try {
                stoppedCleanly.await(SHUTDOWN_BUDGET.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        LeaderElectionConfiguration election = leaderElection ? leaderElection(stopRequested) : null;
        try (MoEOperator operator = new MoEOperator(client, config, registry, election, Clock.systemUTC());
             OperatorHttpServer http = new OperatorHttpServer(httpHost, httpPort, operator.operator(), registry)) {
            operator.start();
            System.err.printf("moe-operator %s: watching %s on %s; health and metrics on :%d%n", OperatorConfig.VERSION,
                    namespaces.isEmpty() ? "all namespaces" : "namespaces " + namespaces, client.getMasterUrl(), http.port());
            stopRequested.await();
            System.err.println("moe-operator: stopping");
        } finally {
            client.close();
            System.err.println("moe-operator: stopped");
            stoppedCleanly.countDown();
        }
        return 0;
    }

    /** Longest a SIGTERM waits for reconciles to finish and the Lease to be released (the chart's grace period is 30 s). */
    static final Duration SHUTDOWN_BUDGET = Duration.ofSeconds(25);

    /**
     * Leader election with a known identity (so the Lease can be released on stop). Losing the lease
     * while running stops the process, as JOSDK would (another replica reconciles now); stopping
     * on purpose (SIGTERM) does not.
     */
    private LeaderElectionConfiguration leaderElection(CountDownLatch stopRequested) throws java.io.IOException {
        String identity = System.getenv().getOrDefault("HOSTNAME", "") + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        LeaderCallbacks callbacks = new LeaderCallbacks(() -> System.err.println("moe-operator: leading (" + identity + ")"), () -> {
            if (stopRequested.getCount() == 0) return;
            System.err.println("moe-operator: lost the Lease; exiting so that only the new leader reconciles");
            new Thread(() -> System.exit(1), "lost-lease-exit").start();
        }, leader -> {});
        return new LeaderElectionConfiguration(leaseName, leaseNamespace != null ? leaseNamespace : podNamespace(),
                LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, identity, callbacks, false);
    }

    private static String podNamespace() throws java.io.IOException {
        Path file = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
        return Files.exists(file) ? Files.readString(file).trim() : "default";
    }
}
