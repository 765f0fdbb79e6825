package io.moeoperator.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import java.time.ZonedDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives up the leader Lease when the operator stops, as client-go's ReleaseOnCancel does: the holder
 * is cleared and the lease made to expire at once, so a standby takes over at its next try (every
 * retry period, 2 s) instead of waiting out the lease duration (15 s). JOSDK cannot do this itself:
 * it runs fabric8's elector without release-on-cancel so that losing the lease always stops it.
 */
final class LeaseRelease {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseRelease.class);

    private LeaseRelease() {}

    /** Releases the lease if {@code identity} still holds it; best effort (a failure leaves it to expire). */
    static void release(KubernetesClient client, LeaderElectionConfiguration election, String identity) {
        String namespace = election.getLeaseNamespace().orElse(client.getNamespace());
        LeaseLock lock = new LeaseLock(namespace, election.getLeaseName(), identity);
        try {
            LeaderElectionRecord current = lock.get(client);
            if (current == null || !identity.equals(current.getHolderIdentity())) return;
            ZonedDateTime now = ZonedDateTime.now();
            lock.update(client, new LeaderElectionRecord(null, Duration.ofSeconds(1), now, now, current.getLeaderTransitions()));
            LOG.info("released Lease {}/{}", namespace, election.getLeaseName());
        } catch (KubernetesClientException e) {
            LOG.warn("could not release Lease {}/{} (it expires by itself): {}", namespace, election.getLeaseName(), e.getMessage());
        }
    }
}
