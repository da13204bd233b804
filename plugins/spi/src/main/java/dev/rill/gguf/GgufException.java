package dev.rill.gguf;

import dev.rill.spi.ModelFileException;

/** A GGUF file that cannot be read or used: malformed, truncated, or asking for something Rill lacks. */
public class GgufException extends ModelFileException {

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
