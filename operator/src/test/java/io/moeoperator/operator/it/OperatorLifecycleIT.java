package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Operators that stop, restart, take turns through a Lease, and meet the Prometheus Operator's CRD. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorLifecycleIT {
    static final String TINY = """
            apiVersion: serving.moe-operator.io/v1alpha1
            kind: MoEDeployment
            metadata: {name: %s}
            spec: {model: {uri: 'synthetic://?experts=4'}, replicas: %d}
            """;
    KubernetesClient client;
    ClusterFixture cluster;

    @BeforeAll
    void connect() {
        client = RealApiServer.newClient();
        cluster = new ClusterFixture(client);
    }

    @AfterAll
    void disconnect() {
        client.close();
    }

    MoEOperator operator(String leaseNamespace) {
        // As bin/moe-operator's, but a stopped leader must not System.exit the test JVM.
        LeaderElectionConfiguration election = leaseNamespace == null ? null
                : new LeaderElectionConfiguration("moe-operator-leader", leaseNamespace,
                        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, null, false);
        MoEOperator operator = new MoEOperator(client, OperatorConfig.defaults(), new SimpleMeterRegistry(), election, Clock.systemUTC());
        operator.start();
        return operator;
    }

    @Test
    void changesMadeWhileTheOperatorWasDownAreReconciledAfterARestart() {
        String ns = "restart";
        RealApiServer.createNamespace(client, ns);
        MoEOperator first = operator(ns);
        cluster.createFromYaml(ns, TINY.formatted("kept", 1));
        cluster.group(ns, "kept", 0);
        Lease lease = client.leases().inNamespace(ns).withName("moe-operator-leader").get();
        assertNotNull(lease, "the operator holds a Lease while it reconciles");
        assertNotNull(lease.getSpec().getHolderIdentity());
        cluster.markGroupReady(ns, "kept", 0);
        cluster.awaitCondition(ns, "kept", "Ready", "True", "AllGroupsReady");
        first.close();

        // While no operator runs: scale one deployment, create another.
        client.resources(MoEDeployment.class).inNamespace(ns).withName("kept").scale(2);
        cluster.createFromYaml(ns, TINY.formatted("later", 1));
        RealApiServer.sleepQuietly(1000);
        assertEquals(List.of(0), cluster.groupIndices(ns, "kept"));

        MoEOperator second = operator(ns);
        try {
            // The Lease may still name the stopped operator until it expires (15 s).
            await(Duration.ofSeconds(60), () -> assertEquals(List.of(0, 1), cluster.groupIndices(ns, "kept")));
            await(ClusterFixture.WAIT, () -> assertEquals(List.of(0), cluster.groupIndices(ns, "later")));
            cluster.markGroupReady(ns, "kept", 1);
            cluster.awaitCondition(ns, "kept", "Ready", "True", "AllGroupsReady");
            assertEquals("2/2", cluster.moe(ns, "kept").getStatus().getReady());
        } finally {
            second.close();
        }
    }

    @Test
    void serviceMonitorsOnceThePrometheusOperatorCrdExists() {
        String ns = "monitoring";
        RealApiServer.createNamespace(client, ns);
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().resource(serviceMonitorCrd()).create();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).waitUntilCondition(c -> c.getStatus() != null
                && c.getStatus().getConditions().stream().anyMatch(x -> x.getType().equals("Established") && x.getStatus().equals("True")),
                30, TimeUnit.SECONDS);
        await(ClusterFixture.WAIT, () -> assertEquals(true, client.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
        MoEOperator operator = operator(null);
        try {
            MoEDeployment moe = cluster.createFromYaml(ns, TINY.formatted("watched", 1));
            await(ClusterFixture.WAIT, () -> {
                GenericKubernetesResource monitor = client.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor")
                        .inNamespace(ns).withName("watched").get();
                assertNotNull(monitor);
                assertEquals(moe.getMetadata().getUid(), monitor.getMetadata().getOwnerReferences().get(0).getUid());
            });
            var annotations = cluster.group(ns, "watched", 0).getSpec().getTemplate().getMetadata().getAnnotations();
            assertFalse(annotations != null && annotations.containsKey("prometheus.io/scrape"),
                    "the ServiceMonitor replaces scrape annotations: " + annotations);
        } finally {
            operator.close();
            client.apiextensions().v1().customResourceDefinitions().resource(crd).delete();
            await(ClusterFixture.WAIT, () -> assertFalse(client.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
        }
    }

    /** The Prometheus Operator's CRD in the least form the API server accepts (its schema does not matter here). */
    static CustomResourceDefinition serviceMonitorCrd() {
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("servicemonitors.monitoring.coreos.com").endMetadata()
                .withNewSpec()
                    .withGroup("monitoring.coreos.com")
                    .withScope("Namespaced")
                    .withNewNames().withKind("ServiceMonitor").withPlural("servicemonitors").withSingular("servicemonitor").endNames()
                    .addNewVersion().withName("v1").withServed(true).withStorage(true)
                        .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
                        .endOpenAPIV3Schema().endSchema()
                    .endVersion()
                .endSpec()
                .build();
    }

}
