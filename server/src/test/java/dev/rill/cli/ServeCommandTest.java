package dev.rill.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad options of {@code rill serve} and {@code rill bench serve} fail before anything starts. */
class ServeCommandTest {

    static String run(int expected, String... args) {
        StringWriter err = new StringWriter();
        assertEquals(expected, Rill.run(new PrintWriter(err, true), args), () -> String.join(" ", args) + " → " + err);
        return err.toString();
    }

    @Test
    void badOptionsAreRefusedWithOneClearLine() {
        assertTrue(run(1, "serve", "--port", "70000").contains("--port must be in 0..65535"));
        assertTrue(run(1, "serve", "--plugins", "target/no-such-folder").contains("is not a folder"));
        assertTrue(run(1, "serve", "--sampling-param", "temperature").contains("expects key=value"));
        assertTrue(run(1, "bench", "serve", "--streams", "0").contains("--streams"));
        assertTrue(run(1, "bench", "serve", "--tokens", "1").contains("--tokens must be"));
        assertTrue(run(2, "serve", "--no-such-option").contains("Unknown option"));
    }
}
