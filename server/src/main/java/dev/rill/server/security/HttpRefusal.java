package dev.rill.server.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Answers a request at the routing level, before any endpoint runs, in the OpenAI error shape. */
public final class HttpRefusal {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpRefusal() {
    }

    /**
     * @param close whether to close the connection after the answer (when the body was not read)
     */
    public static void send(RoutingContext ctx, ApiException e, boolean close, String... headers) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) return;
        String json;
        try {
            json = JSON.writeValueAsString(ErrorBody.of(e));
        } catch (JsonProcessingException never) {
            json = "{}";
        }
        response.setStatusCode(e.status()).putHeader("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) response.putHeader(headers[i], headers[i + 1]);
        if (close) response.putHeader("Connection", "close");
        response.end(json).onComplete(done -> {
            if (close) lingeringClose(ctx);
        });
    }

    /** How long a refused request's remaining body is read and dropped before its connection closes. */
    private static final long LINGER_MS = 1000;

    /**
     * Closes the connection of a refused request once the client stopped sending, or after
     * {@link #LINGER_MS}: closing with unread bytes makes the kernel reset the connection, which can
     * destroy the answer before the client reads it (a client still writing a 2 MB body got no 413).
     */
    private static void lingeringClose(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = ctx.vertx().setTimer(LINGER_MS, id -> request.connection().close());
        request.handler(dropped -> {
        });
        request.endHandler(end -> {
            ctx.vertx().cancelTimer(timer);
            request.connection().close();
        });
        request.resume();
    }
}
