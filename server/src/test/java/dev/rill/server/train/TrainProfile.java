package dev.rill.server.train;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Training in the server with an admin key, a data folder holding a slice of Tiny Shakespeare and a
 * few conversations, a fresh output folder per test run, and a 64 KiB upload limit.
 */
public class TrainProfile implements QuarkusTestProfile {

    public static final String ADMIN = "admin-key", TEXT = "slice.txt", CHATS = "chats.jsonl";
    public static final int MAX_UPLOAD = 65536;
    static final Path ROOT = Path.of("target", "train-test").toAbsolutePath();

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path data = Files.createDirectories(ROOT.resolve("data"));
            String shakespeare = Files.readString(Path.of("..", "data", "tinyshakespeare.txt"));
            Files.writeString(data.resolve(TEXT), shakespeare.substring(0, 20_000));
            StringBuilder chats = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                chats.append("{\"messages\": [{\"role\": \"user\", \"content\": \"Who art thou, ").append(i)
                        .append("?\"}, {\"role\": \"assistant\", \"content\": \"I am Romeo.\"}]}\n");
            }
            Files.writeString(data.resolve(CHATS), chats);
            Files.writeString(data.resolve("notes.md"), "not a training file");
            Path out = ROOT.resolve("runs-" + System.nanoTime());
            return Map.of("rill.admin-keys", ADMIN, "rill.train.data-dir", data.toString(), "rill.train.out-dir", out.toString(),
                    "rill.train.max-upload-size", Integer.toString(MAX_UPLOAD), "rill.train.queue-size", "1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
