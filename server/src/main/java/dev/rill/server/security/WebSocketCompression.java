package dev.rill.server.security;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The server negotiates no WebSocket compression. Vert.x inflates a compressed frame whole, on the
 * connection's event loop, before any message size limit applies: a frame of under 1 MB can inflate
 * to gigabytes and hold an event loop for minutes (a compression bomb). Chat messages are small and
 * token frames tiny, so compression gains nothing here. {@code permessage-deflate} is off through
 * {@code quarkus.websockets-next.server.per-message-compression-supported=false}; the older
 * {@code deflate-frame} extension has no Quarkus setting and is turned off here. A client that sends
 * a compressed frame anyway has its connection closed as a protocol error.
 */
@ApplicationScoped
public class WebSocketCompression implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        off(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        off(options);
    }

    private static void off(HttpServerOptions options) {
        options.setPerFrameWebSocketCompressionSupported(false);
        options.setPerMessageWebSocketCompressionSupported(false);
    }
}
