package dev.rill.server.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import dev.rill.server.config.RillConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads every request body on the event loop, before any worker or virtual thread sees the request,
 * so that a client sending its body slowly holds a connection and nothing else. A body must arrive
 * whole within {@code rill.limits.body-timeout} (else 408) and within
 * {@code quarkus.http.limits.max-body-size} (else 413, also for chunked bodies); one client address
 * may have at most {@code rill.limits.max-bodies-per-client} bodies arriving at once (else 429).
 * Bodies of {@code /v1} and {@code /api} must be {@code application/json} (else 415). Refusals have
 * the OpenAI error shape and close the connection (the rest of the body is not read).
 * The endpoints then get the body from memory.
 */
@ApplicationScoped
public class RequestBodies {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    RillConfig config;
    @ConfigProperty(name = "quarkus.http.limits.max-body-size")
    MemorySize maxBodySize;

    private final ConcurrentHashMap<String, AtomicInteger> arriving = new ConcurrentHashMap<>();

    /** Before Quarkus's own body size check (order -2), so that its empty 413 is never the answer. */
    void register(@Observes Router router) {
        router.route().order(-3).handler(this::read);
    }

    private void read(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (wantsJson(request) && !isJson(request.getHeader("Content-Type"))) {
            String type = request.getHeader("Content-Type");
            refuse(ctx, new ApiException(415, "unsupported_media_type", null, "send the request body as JSON with 'Content-Type: application/json' ("
                    + (type == null ? "no Content-Type was given" : "got " + abbreviate(type)) + ")"));
            return;
        }
        if (!hasBody(request)) {
            ctx.next();
            return;
        }
        long limit = maxBodySize.asLongValue();
        String length = request.getHeader("Content-Length");
        if (length != null && parse(length) > limit) {
            refuse(ctx, new ApiException(413, "request_too_large", null, "the request body has " + length + " bytes; at most " + limit
                    + " are accepted (quarkus.http.limits.max-body-size)"));
            return;
        }
        if (request.version() == HttpVersion.HTTP_2) {
            // Over TLS (ALPN) only: Quarkus REST pauses a request, which Vert.x refuses for an HTTP/2
            // request that has ended, so its body is read by the endpoint (on a virtual thread).
            ctx.next();
            return;
        }
        String client = request.remoteAddress() == null ? "?" : request.remoteAddress().host();
        AtomicInteger count = arriving.computeIfAbsent(client, k -> new AtomicInteger());
        int most = config.limits().maxBodiesPerClient();
        if (count.incrementAndGet() > most) {
            release(client, count);
            refuse(ctx, new ApiException(429, "too_many_requests", null, "this client already has " + most
                    + " request bodies arriving; wait for them (rill.limits.max-bodies-per-client)"));
            return;
        }
        AtomicBoolean done = new AtomicBoolean();
        Runnable finish = () -> {
            if (done.compareAndSet(false, true)) release(client, count);
        };
        long timeoutMs = config.limits().bodyTimeout().toMillis();
        long timer = ctx.vertx().setTimer(timeoutMs, id -> {
            if (done.get()) return;
            finish.run();
            refuse(ctx, new ApiException(408, "request_timeout", null, "the request body did not arrive within " + timeoutMs
                    + " ms (rill.limits.body-timeout)"));
        });
        Buffer body = Buffer.buffer((int) Math.min(limit, length == null ? 4096 : Math.max(0, parse(length))));
        request.handler(chunk -> {
            if (done.get()) return;
            if (body.length() + chunk.length() > limit) {
                ctx.vertx().cancelTimer(timer);
                finish.run();
                refuse(ctx, new ApiException(413, "request_too_large", null, "the request body has more than " + limit
                        + " bytes; at most " + limit + " are accepted (quarkus.http.limits.max-body-size)"));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(failure -> {
            ctx.vertx().cancelTimer(timer);
            finish.run();
        });
        request.endHandler(end -> {
            if (done.get()) return;
            ctx.vertx().cancelTimer(timer);
            finish.run();
            ctx.setBody(body);
            ctx.next();
        });
        request.resume();
    }

    /**
     * The JSON APIs take JSON only. A browser may send a form or text/plain to any site without asking
     * (no CORS preflight), so accepting other types would let any web page start generations from its
     * visitors' browsers.
     */
    private static boolean wantsJson(HttpServerRequest request) {
        HttpMethod m = request.method();
        String path = request.path();
        return (m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH) && path != null
                && (path.startsWith("/v1/") || path.startsWith("/api/"));
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) return false;
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().equalsIgnoreCase("application/json");
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private void release(String client, AtomicInteger count) {
        if (count.decrementAndGet() <= 0) arriving.remove(client, count);
    }

    private static boolean hasBody(HttpServerRequest request) {
        HttpMethod m = request.method();
        if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS) return false;
        String length = request.getHeader("Content-Length");
        return (length != null && !length.equals("0")) || request.getHeader("Transfer-Encoding") != null;
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void refuse(RoutingContext ctx, ApiException e) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) return;
        String json;
        try {
            json = JSON.writeValueAsString(ErrorBody.of(e));
        } catch (JsonProcessingException never) {
            json = "{}";
        }
        response.setStatusCode(e.status()).putHeader("Content-Type", "application/json").putHeader("Connection", "close");
        response.end(json).onComplete(done -> ctx.request().connection().close());
    }
}
