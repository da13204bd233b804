package dev.rill.server.security;

import dev.rill.server.api.ApiException;
import dev.rill.server.config.RillConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
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
 * Refusals have the OpenAI error shape and close the connection (the rest of the body is not read).
 * The endpoints then get the body from memory.
 */
@ApplicationScoped
public class RequestBodies {

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
        if (!hasBody(request) || (request.method() == HttpMethod.POST && AdminKeyFilter.TRAIN_FILES.equals(ctx.normalizedPath()))) {
            // Uploads stream to a file with their own size limit and idle timeout (UploadRoute).
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

    private void release(String client, AtomicInteger count) {
        if (count.decrementAndGet() <= 0) arriving.remove(client, count);
    }

    private static boolean hasBody(HttpServerRequest request) {
        HttpMethod m = request.method();
        return m != HttpMethod.GET && m != HttpMethod.HEAD && m != HttpMethod.OPTIONS && ApiGate.hasBody(request);
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void refuse(RoutingContext ctx, ApiException e) {
        HttpRefusal.send(ctx, e, true);   // the rest of the body is not read
    }
}
