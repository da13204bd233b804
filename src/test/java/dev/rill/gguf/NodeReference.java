package dev.rill.gguf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The reference implementation GgufTokenizerAgreementTest compares with: npm packages in test/node,
 * installed with {@code npm ci} on first use and run with {@code node}. Only this test needs Node
 * (packaging never does); without Node or npm it fails with one line naming what to install.
 */
final class NodeReference {

    static final Path DIR = Path.of("test/node");

    private NodeReference() {
    }

    /** {@code node script args...} in test/node, after installing its packages when they are not installed. */
    static synchronized void run(String script, String... args) {
        // npm writes node_modules/.package-lock.json last: without it an install is missing or was cut short.
        if (!Files.exists(DIR.resolve("node_modules/.package-lock.json"))) exec("npm", "ci", "--no-audit", "--no-fund");
        exec(Stream.concat(Stream.of("node", script), Stream.of(args)).toArray(String[]::new));
    }

    private static void exec(String... command) {
        String line = String.join(" ", command);
        try {
            Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("`" + line + "` in " + DIR + " took over 10 minutes");
            }
            if (p.exitValue() != 0) fail("`" + line + "` in " + DIR + " failed (exit " + p.exitValue() + "): " + output);
        } catch (IOException e) {
            fail("this test compares with Tokenizers.js and needs Node.js 20+ with npm on the PATH, but `" + command[0]
                    + "` is missing: install them (Debian/Ubuntu: apt-get install nodejs npm)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while running `" + line + "`");
        }
    }
}
