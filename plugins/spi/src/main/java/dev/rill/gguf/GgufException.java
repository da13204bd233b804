package dev.rill.gguf;

/** A GGUF file that cannot be read or used: malformed, truncated, or asking for something Rill lacks. */
public class GgufException extends IllegalArgumentException {

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
