package dev.rill.server.security;

import dev.rill.server.api.ApiException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * The door of the HTTP API ({@code /v1}, {@code /api}), before any body is read:
 * <ul>
 *   <li>with API keys configured, {@code Authorization: Bearer KEY} (else 401), so that a client
 *       without a key cannot even make the server read a body;</li>
 *   <li>a body sent to it (POST, PUT, PATCH) must be declared {@code application/json} (else 415): a
 *       browser may post a form or text/plain to any site without asking first (no CORS preflight),
 *       so accepting other types would let any web page start generations from its visitors'
 *       browsers. An upload of training data ({@code POST /api/train/files}) is a file, sent as
 *       {@code application/octet-stream} or another type that is not one of those.</li>
 * </ul>
 * Health, metrics, the OpenAPI document and the web page stay open. Answers have the OpenAI error shape.
 */
@ApplicationScoped
public class ApiGate {

    @Inject
    ApiKeys keys;

    /** Before {@link RequestBodies} (order -3). */
    void register(@Observes Router router) {
        router.route().order(-4).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (path == null || !(path.equals("/v1") || path.startsWith("/v1/") || path.startsWith("/api/"))) {
            ctx.next();
            return;
        }
        HttpServerRequest request = ctx.request();
        if (keys.enabled()) {
            String presented = ApiKeys.fromAuthorization(request.getHeader("Authorization"));
            if (!keys.accepts(presented)) {
                HttpRefusal.send(ctx, new ApiException(401, "invalid_api_key", null, presented == null
                        ? "an API key is required: send 'Authorization: Bearer <key>'"
                        : "the API key is not valid"), hasBody(request), "WWW-Authenticate", "Bearer");
                return;
            }
        }
        HttpMethod m = request.method();
        String type = request.getHeader("Content-Type");
        if (!hasBody(request)) {
            ctx.next();   // nothing to read, nothing a page could smuggle in
            return;
        }
        if (m == HttpMethod.POST && path.equals(AdminKeyFilter.TRAIN_FILES)) {
            // An upload is a file, not JSON; but not a type a page may send cross-site without a CORS preflight either.
            if (type == null || isCrossSiteSimple(type)) {
                HttpRefusal.send(ctx, new ApiException(415, "unsupported_media_type", null, "send the file with 'Content-Type: application/octet-stream' ("
                        + (type == null ? "no Content-Type was given" : "got " + abbreviate(type)) + "; a browser may send that one from any web page)"),
                        true);
                return;
            }
        } else if ((m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH) && !isJson(type)) {
            HttpRefusal.send(ctx, new ApiException(415, "unsupported_media_type", null, "send the request body as JSON with 'Content-Type: application/json' ("
                    + (type == null ? "no Content-Type was given" : "got " + abbreviate(type)) + ")"),
                    true);
            return;
        }
        ctx.next();
    }

    static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return (length != null && !length.equals("0")) || request.getHeader("Transfer-Encoding") != null;
    }

    private static boolean isJson(String contentType) {
        return contentType != null && mediaType(contentType).equals("application/json");
    }

    /** The types a browser sends to another site without asking it first (CORS "simple" requests). */
    private static boolean isCrossSiteSimple(String contentType) {
        return switch (mediaType(contentType)) {
            case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data" -> true;
            default -> false;
        };
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static String abbreviate(String type) {
        return type.length() > 60 ? type.substring(0, 60) + "..." : type;
    }
}
