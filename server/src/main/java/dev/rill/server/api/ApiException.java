package dev.rill.server.api;

/**
 * A request the server cannot serve, with what the client needs to fix it: a stable {@code code},
 * the request field at fault ({@code param}, may be {@code null}), the HTTP status, and a message that
 * says what was wrong and what is accepted. The WebSocket sends it as an {@code error} frame, the HTTP
 * API in the OpenAI error shape.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final String param;

    public ApiException(int status, String code, String param, String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.param = param;
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request", param, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    /** The OpenAI error {@code type} for this status. */
    public String type() {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "invalid_request_error";
            case 429 -> "overloaded_error";
            case 503 -> "unavailable_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
