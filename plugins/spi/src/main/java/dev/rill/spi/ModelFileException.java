package dev.rill.spi;

/** A model file that cannot be read or used: malformed, truncated, or asking for something Rill lacks. */
public class ModelFileException extends IllegalArgumentException {

    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
