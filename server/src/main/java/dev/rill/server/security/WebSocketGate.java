package dev.rill.server.security;

import dev.rill.server.config.RillConfig;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks every WebSocket handshake before the upgrade:
 * <ul>
 *   <li>Origin: a browser's {@code Origin} must be the server's own (same host and port as the
 *       {@code Host} header) or listed in {@code rill.allowed-origins} ({@code *} allows any), else 403.
 *       This stops cross-site WebSocket hijacking. Clients that send no Origin (programs) pass.</li>
 *   <li>API key, when keys are configured: {@code Authorization: Bearer KEY}, the query parameter
 *       {@code api_key=KEY}, or the subprotocol {@code rill-key.KEY} (browsers cannot set headers;
 *       they also offer {@code rill}, which the server selects). Else 401.</li>
 *   <li>{@code /ws/train}, when admin keys are configured: an admin key, presented the same ways
 *       (401 without one, 403 with a key that may only chat).</li>
 * </ul>
 */
@ApplicationScoped
public class WebSocketGate implements HttpUpgradeCheck {

    private static final Logger LOG = Logger.getLogger(WebSocketGate.class);

    private final ApiKeys keys;
    private final Set<String> allowed;
    private final boolean anyOrigin;

    @Inject
    public WebSocketGate(ApiKeys keys, RillConfig config) {
        this.keys = keys;
        List<String> origins = config.allowedOrigins().orElse(List.of());
        this.anyOrigin = origins.stream().anyMatch(o -> o.trim().equals("*"));
        this.allowed = origins.stream().map(WebSocketGate::normalize).collect(Collectors.toSet());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        String origin = request.getHeader("Origin");
        if (origin != null && !originAllowed(origin, request.getHeader("Host"))) {
            LOG.debugf("WebSocket handshake refused: origin %s is not allowed", origin);
            return CheckResult.rejectUpgrade(403);
        }
        if (keys.enabled() && !keys.accepts(presentedKey(request))) {
            return CheckResult.rejectUpgrade(401, Map.of("WWW-Authenticate", List.of("Bearer")));
        }
        if (AdminKeyFilter.isTraining(request.path())) {
            var refused = AdminKeyFilter.refusal(keys, presentedKey(request));
            if (refused != null) return CheckResult.rejectUpgrade(refused.status(), Map.of("WWW-Authenticate", List.of("Bearer")));
        }
        return CheckResult.permitUpgrade();
    }

    private static String presentedKey(HttpServerRequest request) {
        return ApiKeys.presented(request::getHeader, request.query());
    }

    boolean originAllowed(String origin, String host) {
        if (anyOrigin) return true;
        String o = normalize(origin);
        if (allowed.contains(o)) return true;
        return host != null && authority(o) != null && authority(o).equalsIgnoreCase(host.trim());
    }

    /** {@code scheme://host[:port]} lower-cased, default ports dropped, no trailing slash. */
    static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        while (o.endsWith("/")) o = o.substring(0, o.length() - 1);
        try {
            URI u = URI.create(o);
            if (u.getScheme() == null || u.getHost() == null) return o;
            int port = u.getPort();
            boolean defaultPort = port == -1 || (port == 80 && u.getScheme().equals("http")) || (port == 443 && u.getScheme().equals("https"));
            return u.getScheme() + "://" + u.getHost() + (defaultPort ? "" : ":" + port);
        } catch (IllegalArgumentException e) {
            return o;
        }
    }

    /** {@code host[:port]} of a normalized origin, as a browser writes it in the Host header. */
    private static String authority(String normalizedOrigin) {
        int i = normalizedOrigin.indexOf("://");
        return i < 0 ? null : normalizedOrigin.substring(i + 3);
    }
}
