package dev.rill.console;

import dev.rill.plugin.PluginException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/**
 * Which failures are the user's to fix (bad input, a missing file, an unknown plugin) and are told
 * as one line, and which are bugs that deserve a stack trace. Used by the command line and by the
 * server's model loading.
 */
public final class UserErrors {

    private UserErrors() {
    }

    /** The failure the user should see: an {@link UncheckedIOException}'s cause, else {@code e}. */
    public static Throwable unwrap(Throwable e) {
        return e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
    }

    /** Whether {@code e} (unwrapped) is bad input or environment, reported without a stack trace. */
    public static boolean is(Throwable e) {
        Throwable t = unwrap(e);
        return t instanceof IllegalArgumentException || t instanceof IllegalStateException || t instanceof IOException
                || t instanceof PluginException || t instanceof UnsupportedOperationException;
    }

    /** Its one line: the message, naming the file for a missing one. */
    public static String message(Throwable e) {
        Throwable t = unwrap(e);
        if (t instanceof NoSuchFileException) return "file not found: " + t.getMessage();
        return t.getMessage() != null ? t.getMessage() : "failed, with no message (-Drill.debug=true shows the stack trace)";
    }
}
