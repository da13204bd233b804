package dev.rill.server.security;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the HTTP server negotiates, beyond Quarkus's settings:
 * <ul>
 *   <li>No WebSocket compression. Vert.x inflates a compressed frame whole, on the connection's event
 *       loop, before any message size limit applies: a frame of under 1 MB can inflate to gigabytes
 *       and hold an event loop for minutes (a compression bomb). Chat messages are small and token
 *       frames tiny, so compression gains nothing here. {@code permessage-deflate} is also off in
 *       configuration ({@code quarkus.websockets-next.server.per-message-compression-supported});
 *       the older {@code deflate-frame} extension has no Quarkus setting. A client that sends a
 *       compressed frame anyway has its connection closed as a protocol error.</li>
 *   <li>No cleartext HTTP/2 upgrade (h2c): {@link RequestBodies} reads bodies before the endpoints
 *       run, and Quarkus REST pauses a request, which Vert.x refuses for an HTTP/2 request that has
 *       ended. Clients that offer the upgrade stay on HTTP/1.1.</li>
 * </ul>
 */
@ApplicationScoped
public class HttpServerHardening implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        harden(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        harden(options);
    }

    private static void harden(HttpServerOptions options) {
        options.setPerFrameWebSocketCompressionSupported(false);
        options.setPerMessageWebSocketCompressionSupported(false);
        options.setHttp2ClearTextEnabled(false);
    }
}
