package dev.rill.server.security;

import io.quarkus.websockets.next.HandshakeRequest;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Who a request comes from, for per-client limits: its API key when keys are configured (the
 * server has checked it), else its address (the proxy's, unless {@code quarkus.http.proxy.*} is set
 * to trust forwarded headers). A key is known here only by a hash of it.
 */
@ApplicationScoped
public class ClientIds {

    @Inject
    ApiKeys keys;

    public String of(HttpServerRequest request) {
        String key = keys.enabled() ? ApiKeys.fromAuthorization(request.getHeader("Authorization")) : null;
        return of(key, request.remoteAddress() == null ? null : request.remoteAddress().host());
    }

    public String of(HandshakeRequest handshake) {
        String key = keys.enabled() ? ApiKeys.presented(handshake::header, handshake.query()) : null;
        return of(key, host(handshake.remoteAddress()));
    }

    private String of(String key, String host) {
        if (key != null && keys.accepts(key)) return "key " + hash(key.trim());
        return "address " + (host == null ? "unknown" : host);
    }

    /** {@code host} of {@code host:port} or {@code [v6]:port}. */
    static String host(String address) {
        if (address == null) return null;
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            return end > 0 ? address.substring(1, end) : address;
        }
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }

    private static String hash(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
