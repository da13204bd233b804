package dev.rill.server.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Node clients of src/test/node (the openai package, the Vercel AI SDK), installed with
 * {@code npm ci} on first use and run with {@code node}; each script prints one JSON object with what
 * it got. Only these tests need Node (packaging never does); without Node or npm they fail with one
 * line naming what to install.
 */
final class NodeClients {

    static final Path DIR = Path.of("src/test/node");
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeClients() {
    }

    /** {@code node script args...}: its last output line, parsed. */
    static synchronized JsonNode run(String script, String... args) {
        // npm writes node_modules/.package-lock.json last: without it, or without one of these packages (an
        // earlier install of another lock), install what the lock file says.
        if (!Files.exists(DIR.resolve("node_modules/.package-lock.json"))
                || !Files.exists(DIR.resolve("node_modules/openai/package.json")) || !Files.exists(DIR.resolve("node_modules/ai/package.json"))
                || !Files.exists(DIR.resolve("node_modules/@ai-sdk/openai-compatible/package.json"))) {
            exec("npm", "ci", "--no-audit", "--no-fund");
        }
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        String out = exec(command.toArray(String[]::new));
        String last = out.lines().reduce((a, b) -> b).orElse("");
        try {
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new AssertionError("`node " + script + "` did not end with a JSON line: " + out, e);
        }
    }

    private static String exec(String... command) {
        String line = String.join(" ", command);
        try {
            Process p = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("`" + line + "` in " + DIR + " took over 10 minutes");
            }
            if (p.exitValue() != 0) fail("`" + line + "` in " + DIR + " failed (exit " + p.exitValue() + "): " + output);
            return output;
        } catch (IOException e) {
            return fail("these tests run the openai and Vercel AI SDK clients and need Node.js 20+ with npm on the PATH, but `" + command[0]
                    + "` is missing: install them (Debian/Ubuntu: apt-get install nodejs npm)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running `" + line + "`");
        }
    }
}
