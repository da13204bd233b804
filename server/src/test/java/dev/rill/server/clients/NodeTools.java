package dev.rill.server.clients;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the Node projects of the tests (a folder with a package.json and its lock file): installs their
 * packages with {@code npm ci} when missing, and runs commands there. Only tests need Node (packaging
 * never does); without Node or npm a test fails with one line naming what to install and why.
 */
final class NodeTools {

    private NodeTools() {
    }

    /**
     * {@code npm ci} in {@code dir} unless its packages are installed: npm writes
     * {@code node_modules/.package-lock.json} last, so without it an install is missing or was cut short;
     * {@code expected} are files an install of the current lock file has.
     *
     * @param need why the test needs Node, for the message when it is missing
     */
    public static void install(Path dir, String need, String... expected) {
        boolean installed = Files.exists(dir.resolve("node_modules/.package-lock.json"));
        for (String f : expected) installed &= Files.exists(dir.resolve("node_modules").resolve(f));
        if (!installed) exec(dir, need, "npm", "ci", "--no-audit", "--no-fund");
    }

    /** Runs {@code command} in {@code dir}; returns its output (stdout and stderr), failing the test on a non-zero exit. */
    public static String exec(Path dir, String need, String... command) {
        String line = String.join(" ", command);
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("`" + line + "` in " + dir + " took over 10 minutes");
            }
            if (p.exitValue() != 0) fail("`" + line + "` in " + dir + " failed (exit " + p.exitValue() + "): " + output);
            return output;
        } catch (IOException e) {
            return fail(need + " and needs Node.js 20+ with npm on the PATH, but `" + command[0]
                    + "` is missing: install them (Debian/Ubuntu: apt-get install nodejs npm)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running `" + line + "`");
        }
    }
}
