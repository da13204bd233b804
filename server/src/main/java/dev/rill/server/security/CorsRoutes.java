package dev.rill.server.security;

import dev.rill.server.config.RillConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.CorsHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Set;

/**
 * CORS for the HTTP API ({@code /v1/*}, {@code /api/*}) from {@code rill.cors.origins}, with Vert.x's
 * CORS handler (the one Quarkus's own CORS filter is built on) on those paths only, so the WebSocket
 * keeps its own origin check ({@code rill.allowed-origins}) and the web page its same-origin policy.
 * Preflight requests are answered here, before the API key check (browsers send no credentials on a
 * preflight); the requested headers are allowed, {@code Retry-After} is exposed. No origins: nothing
 * is added, and browsers keep other origins out.
 */
@ApplicationScoped
public class CorsRoutes {

    @Inject
    RillConfig config;

    void install(@Observes Router router) {
        List<String> origins = config.cors().origins().orElse(List.of()).stream().map(String::trim).filter(o -> !o.isEmpty()).toList();
        if (origins.isEmpty()) return;
        CorsHandler cors = CorsHandler.create()
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
                .exposedHeader("Retry-After")
                .maxAgeSeconds(600);
        try {
            if (origins.contains("*")) cors.addOrigin("*");
            else cors.addOrigins(origins.stream().map(WebSocketGate::normalize).toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rill.cors.origins: " + e.getMessage() + " (expected origins like https://app.example.com, or *)", e);
        }
        // Before the REST handler: a preflight ends here, an actual request gets its headers and goes on.
        router.route("/v1/*").order(-1000).handler(cors);
        router.route("/api/*").order(-1000).handler(cors);
    }
}
