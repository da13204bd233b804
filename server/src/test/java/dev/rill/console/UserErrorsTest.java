package dev.rill.console;

import dev.rill.plugin.PluginException;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What is told as one line (the user's to fix) and what keeps its stack trace (a bug). */
class UserErrorsTest {

    @Test
    void badInputIsOneLineAndBugsAreNot() {
        assertTrue(UserErrors.is(new PluginException("unknown sampler 'warp'")));
        assertTrue(UserErrors.is(new IllegalArgumentException("--batch must be > 0")));
        assertTrue(UserErrors.is(new UncheckedIOException(new NoSuchFileException("data.txt"))));
        assertFalse(UserErrors.is(new NullPointerException()));
        assertFalse(UserErrors.is(new ArrayIndexOutOfBoundsException(3)));
        assertEquals("file not found: data.txt", UserErrors.message(new UncheckedIOException(new NoSuchFileException("data.txt"))));
        assertEquals("unknown sampler 'warp'", UserErrors.message(new PluginException("unknown sampler 'warp'")));
        assertFalse(UserErrors.message(new IllegalStateException()).contains("Exception"), "no class names");
    }
}
