package dev.rill.server.train;

import dev.rill.server.api.ApiException;
import dev.rill.server.config.RillConfig;
import dev.rill.server.security.AdminKeyFilter;
import dev.rill.server.security.ApiKeys;
import dev.rill.server.security.HttpRefusal;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code POST /api/train/files?name=FILE.txt}: the request body is the file (a text, or JSONL
 * conversations), kept under {@code uploads/} for jobs to name. A Vert.x route ahead of the
 * server-wide request size limit ({@code quarkus.http.limits.max-body-size}, meant for chat
 * requests) so that uploads have their own, {@code rill.train.max-upload-size}: the body streams
 * to a file and a larger one is refused with 413 as soon as it passes the limit. Being ahead of
 * the JAX-RS filters, it checks the API and admin keys itself.
 */
@ApplicationScoped
public class UploadRoute {

    static final String PATH = AdminKeyFilter.TRAIN_FILES;

    @Inject
    TrainService training;
    @Inject
    ApiKeys keys;
    @Inject
    RillConfig config;
    @Inject
    Vertx vertx;

    void install(@Observes Router router) {
        router.post(PATH).order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::upload);
    }

    private void upload(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String key = ApiKeys.fromAuthorization(request.getHeader(HttpHeaders.AUTHORIZATION));
        ApiException refused = keys.enabled() && !keys.accepts(key)
                ? new ApiException(401, "invalid_api_key", null, key == null ? "an API key is required: send 'Authorization: Bearer <key>'" : "the API key is not valid")
                : AdminKeyFilter.refusal(keys, key);
        if (refused != null) {
            fail(ctx, refused, false);
            return;
        }
        long limit = config.train().maxUploadSize().asLongValue();
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parse(length) > limit) {
            fail(ctx, tooLarge(limit), true);
            return;
        }
        String name = request.getParam("name");
        request.pause();
        vertx.<Path>executeBlocking(() -> {
            Path dir = training.uploadDir();
            Files.createDirectories(dir);
            return Files.createTempFile(dir, ".upload-", ".tmp");
        }).onFailure(e -> {
            request.resume();
            fail(ctx, new ApiException(500, "upload_failed", null, "the upload could not be stored: " + e.getMessage()), true);
        }).onSuccess(tmp -> vertx.fileSystem().open(tmp.toString(), new OpenOptions().setWrite(true).setTruncateExisting(true))
                .onFailure(e -> {
                    request.resume();
                    fail(ctx, new ApiException(500, "upload_failed", null, "the upload could not be stored: " + e.getMessage()), true);
                })
                .onSuccess(file -> receive(ctx, file, tmp, name, limit)));
    }

    /** Streams the body into {@code file}, counting bytes; past {@code limit} it stops and answers 413. */
    private void receive(RoutingContext ctx, AsyncFile file, Path tmp, String name, long limit) {
        HttpServerRequest request = ctx.request();
        long[] received = {0};
        boolean[] over = {false};
        // An upload may take long, but not stall: no bytes for rill.limits.body-timeout ends it (408), as a slow chat body is.
        long idleMs = config.limits().bodyTimeout().toMillis();
        long[] lastChunk = {System.nanoTime()};
        long idleCheck = vertx.setPeriodic(Math.max(50, idleMs / 4), id -> {
            if (over[0] || ctx.response().ended()) {
                vertx.cancelTimer(id);
            } else if (System.nanoTime() - lastChunk[0] > idleMs * 1_000_000L) {
                vertx.cancelTimer(id);
                over[0] = true;
                file.close().onComplete(x -> discard(tmp));
                fail(ctx, new ApiException(408, "request_timeout", null, "the upload stalled: no bytes for " + idleMs
                        + " ms (rill.limits.body-timeout)"), true);
            }
        });
        request.handler(chunk -> {
            if (over[0]) return;
            lastChunk[0] = System.nanoTime();
            received[0] += chunk.length();
            if (received[0] > limit) {
                over[0] = true;
                file.close().onComplete(x -> discard(tmp));
                fail(ctx, tooLarge(limit), true);
                return;
            }
            file.write(chunk);
            if (file.writeQueueFull()) {
                request.pause();
                file.drainHandler(v -> request.resume());
            }
        });
        request.exceptionHandler(e -> {
            vertx.cancelTimer(idleCheck);
            if (over[0]) return;   // already refused: its file is closed
            over[0] = true;
            file.close().onComplete(x -> discard(tmp));
        });
        request.endHandler(v -> {
            vertx.cancelTimer(idleCheck);
            if (over[0]) return;
            file.close().onComplete(closed -> vertx.<TrainService.DataFile>executeBlocking(() -> training.store(name, tmp))
                    .onSuccess(stored -> ctx.response().setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(Json.encode(stored)))
                    .onFailure(e -> fail(ctx, e instanceof ApiException a ? a
                            : new ApiException(500, "upload_failed", null, "the upload could not be stored: " + e.getMessage()), false)));
        });
        request.resume();
    }

    private void discard(Path tmp) {
        vertx.executeBlocking(() -> Files.deleteIfExists(tmp));
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(413, "upload_too_large", null, "the upload is larger than " + limit
                + " bytes (rill.train.max-upload-size); upload a smaller file or raise the limit");
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Answers in the OpenAI error shape; {@code close} ends the connection too once the client stopped
     * sending (the rest of a large body is read and dropped for a moment, so the client sees the answer).
     */
    private static void fail(RoutingContext ctx, ApiException e, boolean close) {
        if (e.status() == 401) HttpRefusal.send(ctx, e, close, "WWW-Authenticate", "Bearer");
        else HttpRefusal.send(ctx, e, close);
    }
}
