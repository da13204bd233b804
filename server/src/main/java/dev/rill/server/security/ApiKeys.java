package dev.rill.server.security;

import dev.rill.server.config.RillConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Function;

/**
 * The configured API keys ({@code rill.api-keys}) and admin keys ({@code rill.admin-keys}). With no
 * API keys configured, the API is open; with admin keys configured, training needs one of them. An
 * admin key is accepted wherever an API key is. Keys are compared in constant time.
 */
@ApplicationScoped
public class ApiKeys {

    /** Header of the HTTP API and the WebSocket handshake: {@code Authorization: Bearer KEY}. */
    public static final String BEARER = "Bearer ";
    /** WebSocket query parameter: {@code /ws/chat?api_key=KEY}. */
    public static final String QUERY_PARAM = "api_key";
    /** WebSocket subprotocol carrying the key for browsers: {@code new WebSocket(url, ["rill", "rill-key.KEY"])}. */
    public static final String SUBPROTOCOL_PREFIX = "rill-key.";

    private final List<byte[]> keys, adminKeys;

    @Inject
    public ApiKeys(RillConfig config) {
        this.keys = bytes(config.apiKeys());
        this.adminKeys = bytes(config.adminKeys());
    }

    private static List<byte[]> bytes(java.util.Optional<List<String>> configured) {
        return configured.orElse(List.of()).stream().map(String::trim).filter(k -> !k.isEmpty())
                .map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    /** Whether admin keys are configured (then training needs one). */
    public boolean adminEnabled() {
        return !adminKeys.isEmpty();
    }

    public boolean accepts(String presented) {
        return matches(keys, presented) | matches(adminKeys, presented);
    }

    public boolean acceptsAdmin(String presented) {
        return matches(adminKeys, presented);
    }

    private static boolean matches(List<byte[]> list, String presented) {
        if (presented == null) return false;
        byte[] p = presented.trim().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] k : list) ok |= MessageDigest.isEqual(k, p);
        return ok;
    }

    /**
     * The key a WebSocket handshake presents: {@code Authorization: Bearer KEY}, the query parameter
     * {@code api_key=KEY}, or the subprotocol {@code rill-key.KEY}; {@code null} when none.
     *
     * @param header   the handshake's headers by name
     * @param rawQuery its query string, undecoded ({@code null}: none)
     */
    public static String presented(Function<String, String> header, String rawQuery) {
        String fromHeader = fromAuthorization(header.apply("Authorization"));
        if (fromHeader != null) return fromHeader;
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(QUERY_PARAM)) {
                    try {
                        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }
            }
        }
        String protocols = header.apply("Sec-WebSocket-Protocol");
        if (protocols != null) {
            for (String p : protocols.split(",")) {
                String t = p.trim();
                if (t.startsWith(SUBPROTOCOL_PREFIX)) return t.substring(SUBPROTOCOL_PREFIX.length());
            }
        }
        return null;
    }

    /** The key of an {@code Authorization} header value, or {@code null}. */
    public static String fromAuthorization(String header) {
        if (header == null || header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) return null;
        return header.substring(BEARER.length());
    }
}
