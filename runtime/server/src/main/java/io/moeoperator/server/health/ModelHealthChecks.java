package io.moeoperator.server.health;

import io.moeoperator.server.model.ServedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * /q/health/started and /q/health/ready are up once the model is loaded and its engine runs (and
 * ready goes down again while it shuts down); /q/health/live is down when the engine's step thread
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
