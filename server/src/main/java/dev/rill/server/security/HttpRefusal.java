package dev.rill.server.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Answers a request at the routing level, before any endpoint runs, in the OpenAI error shape. */
final class HttpRefusal {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpRefusal() {
    }

    /**
     * @param close whether to close the connection after the answer (when the body was not read)
     */
    static void send(RoutingContext ctx, ApiException e, boolean close, String... headers) {
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
            if (close) ctx.request().connection().close();
        });
    }
}
