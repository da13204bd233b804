package dev.rill.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The OpenAI error shape: {@code {"error": {"message", "type", "param", "code"}}}.
 */
public record ErrorBody(Detail error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {
    }

    public static ErrorBody of(ApiException e) {
        return new ErrorBody(new Detail(e.getMessage(), e.type(), e.param(), e.code()));
    }
}
