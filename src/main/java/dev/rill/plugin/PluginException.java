package dev.rill.plugin;

/** A plugin could not be found or loaded; the message says which and what is available. */
public class PluginException extends RuntimeException {

    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
