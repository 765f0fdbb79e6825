package io.moeoperator.server.health;

import io.moeoperator.server.model.ServedModel;
import io.moeoperator.engine.ep.PeerStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * /q/health/started and /q/health/ready are up once the model is loaded and its engine runs (and
 * ready goes down again while it shuts down, or while an expert-parallel peer is unreachable); /q/health/live is down when the engine's step thread
 * has died, so Kubernetes restarts the pod.
 */
@ApplicationScoped
public class ModelHealthChecks {

    @Produces
    @Startup
    HealthCheck started(ServedModel model) {
        return () -> modelLoaded(model);
    }

    @Produces
    @Readiness
    HealthCheck ready(ServedModel model) {
        return () -> modelLoaded(model);
    }

    /**
     * An expert-parallel rank is ready only while every peer is connected, authenticated and serves
     * what this rank serves: without them it cannot compute its requests. Each peer's state is in the
     * check's data, e.g. {@code "rank 1": "h1:29500: refused [reason=model]: model sha256:... (this
     * rank) vs sha256:... (rank 1); ..."}.
     */
    @Produces
    @Readiness
    HealthCheck expertPeers(ServedModel model) {
        return () -> {
            List<PeerStatus> peers = model.expertPeers();
            var response = HealthCheckResponse.named("expert-peers").status(peers.stream().allMatch(PeerStatus::up));
            for (PeerStatus p : peers) {
                response.withData("rank " + p.rank(), p.address() + ": " + p.detail());
            }
            return response.build();
        };
    }

    @Produces
    @Liveness
    HealthCheck live(ServedModel model) {
        return () -> HealthCheckResponse.named("engine").status(model.isEngineAlive()).build();
    }

    private static HealthCheckResponse modelLoaded(ServedModel model) {
        boolean loaded = model.isLoaded();
        var response = HealthCheckResponse.named("model").status(loaded);
        if (loaded) {
            response.withData("id", model.id());
        }
        return response.build();
    }
}
