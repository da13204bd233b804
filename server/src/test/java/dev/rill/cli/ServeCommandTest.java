package dev.rill.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad options of {@code rill serve} and {@code rill bench serve} fail before anything starts; so do unknown commands. */
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

    @Test
    void aBadSamplerChainIsOneLineBeforeAnythingStarts() {
        String err = run(1, "serve", "--sampler", "top-k,warp,dist");
        assertEquals("rill serve: unknown sampler 'warp'; available: dist, grammar, greedy, logit-bias, min-p, mirostat-v2, penalties, "
                + "temperature, top-k, top-p, typical (class path only; no plugin folder configured)", err.strip());
        String unknown = run(1, "serve", "--sampling-param", "temprature=0.5");
        assertTrue(unknown.startsWith("rill serve: unknown sampling parameter 'temprature'") && unknown.strip().lines().count() == 1, unknown);
        assertTrue(run(1, "serve", "--sampling-param", "top-k=-3").contains("top_k"), "a bad value names the parameter");
        assertEquals(1, run(1, "serve", "--backend", "quantum").strip().lines().count());
    }

    @Test
    void aBusyPortIsOneLineNamingIt() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            int port = busy.getLocalPort();
            String err = run(1, "serve", "--port", Integer.toString(port));
            assertEquals("rill serve: port " + port + " is in use by another process (another rill serve?): stop it, or choose another port with --port",
                    err.strip());
        }
    }

    @Test
    void anUnknownCommandSaysSoShowsTheUsageAndFails() {
        String err = run(2, "xyzzy");
        assertTrue(err.startsWith("rill: unknown command 'xyzzy'\n"), err);
        assertTrue(err.contains("Usage: rill") && err.contains("serve") && err.contains("generate"), err);
        err = run(2, "bench", "atack");
        assertTrue(err.startsWith("rill bench: unknown command 'atack'"), err);
        err = run(2, "tokenizer", "trian");
        assertTrue(err.startsWith("rill tokenizer: unknown command 'trian' (did you mean train?)"), err);
        err = run(2, "train", "--stepz", "3");
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains("Unknown options: '--stepz'") && err.contains("did you mean --steps") && err.contains("`rill train --help`"), err);
    }
}
