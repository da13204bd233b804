package dev.rill.spi;

/**
 * A parameter value, or a parameter name, that is not accepted. Carries the parameter's name, so
 * that an adapter can point at the request field that held it without reading the message.
 */
public class ParamException extends IllegalArgumentException {

    private final String param;

    public ParamException(String param, String message) {
        super(message);
        this.param = param;
    }

    public ParamException(String param, String message, Throwable cause) {
        super(message, cause);
        this.param = param;
    }

    /** The parameter's name as the provider declares it (or the unknown name as given). */
    public String param() {
        return param;
    }
}
