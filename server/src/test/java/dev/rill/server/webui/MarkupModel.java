package dev.rill.server.webui;

import dev.rill.plugin.PluginRegistry;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import dev.rill.train.TrainingListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A tiny character-level model trained by Rill, once per test JVM, on a chat in Rill's plain chat
 * format whose assistant always answers with HTML and script: asked {@link #PROMPT}, it replies
 * {@link #REPLY} under greedy decoding. It lets the browser tests check that a model's output
 * is shown as text and runs nothing, with a real model and no test hook in the server.
 */
final class MarkupModel {

    static final String NAME = "markup";
    static final String PROMPT = "show me";
    static final String REPLY = "<img src=x onerror=window.pwned=1><script>window.pwned=2</script>";

    private static Path checkpoint;

    private MarkupModel() {
    }

    static synchronized Path checkpoint() {
        if (checkpoint != null) return checkpoint;
        try {
            Path dir = Path.of("target", "test-models").toAbsolutePath();
            Files.createDirectories(dir);
            Path text = dir.resolve("markup-chat.txt");
            // The chat exactly as PlainChatFormat renders it, repeated: the model learns the whole turn.
            Files.writeString(text, ("USER:\n" + PROMPT + "\n\nASSISTANT:\n" + REPLY + "\n\n").repeat(60));
            Path out = dir.resolve(NAME);
            TrainConfig config = new TrainConfig(text, out, "char", Map.of(), "learned", Map.of(),
                    1, 2, 32, 24, 0, 8, 200, 2e-2, 1e-3, 10, 0.0, 0.9, 0.99, 1.0,
                    200, 1, 0, 0, 200, 7, 0.1);
            new Trainer(PluginRegistry.load(), new TrainingListener() {
            }).train(config);
            checkpoint = out;
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
