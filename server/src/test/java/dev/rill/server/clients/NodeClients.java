package dev.rill.server.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;


import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        String need = "these tests run the openai package and the Vercel AI SDK against the server";
        NodeTools.install(DIR, need, "openai/package.json", "ai/package.json", "@ai-sdk/openai-compatible/package.json");
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        String out = NodeTools.exec(DIR, need, command.toArray(String[]::new));
        String last = out.lines().reduce((a, b) -> b).orElse("");
        try {
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new AssertionError("`node " + script + "` did not end with a JSON line: " + out, e);
        }
    }
}
