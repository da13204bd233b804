package dev.rill.server.health;

import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * {@code /q/health/ready} and {@code /q/health/started}: UP once every model is loaded and warmed up (DOWN while
 * loading or after a failure, with the reason). {@code /q/health/live}: UP while the scheduler threads run.
 * The checks only read state, so they are asynchronous: they answer on the event loop, whatever the
 * worker pool is doing (a synchronous check would wait for a free worker).
 */
@ApplicationScoped
public class ModelHealth {

    @Inject
    ModelService models;

    HealthCheckResponse models(String name) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name).withData("state", models.state().name().toLowerCase(java.util.Locale.ROOT));
        switch (models.state()) {
            case READY -> {
                b.up();
                for (ServedModel m : models.all()) b.withData("model." + m.name(), "active " + m.scheduler().active() + ", queued " + m.scheduler().queued());
            }
            case LOADING -> b.down();
            case FAILED -> b.down().withData("error", models.failure());
        }
        return b.build();
    }

    @Readiness
    @ApplicationScoped
    public static class Ready implements AsyncHealthCheck {
        @Inject
        ModelHealth health;

        @Override
        public Uni<HealthCheckResponse> call() {
            return Uni.createFrom().item(health.models("rill-models"));
        }
    }

    @Startup
    @ApplicationScoped
    public static class Started implements AsyncHealthCheck {
        @Inject
        ModelHealth health;

        @Override
        public Uni<HealthCheckResponse> call() {
            return Uni.createFrom().item(health.models("rill-models-loaded"));
        }
    }

    @Liveness
    @ApplicationScoped
    public static class Live implements AsyncHealthCheck {
        @Inject
        ModelService models;

        @Override
        public Uni<HealthCheckResponse> call() {
            return Uni.createFrom().item(HealthCheckResponse.named("rill-schedulers").status(models.schedulersAlive()).build());
        }
    }
}
