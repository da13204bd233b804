package dev.rill.it;

import dev.rill.cli.Rill;
import dev.rill.train.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line on bad input: a clear message, a non-zero exit, nothing half-written. */
class CommandLineTest {

    @TempDir
    Path dir;

    record Run(int code, String err) {
    }

    private Run rill(String... args) {
        StringWriter err = new StringWriter();
        int code = Rill.run(new PrintWriter(err, true), args);
        return new Run(code, err.toString());
    }

    private void assertFails(String fragment, String... args) {
        Run r = rill(args);
        assertEquals(1, r.code(), "exit code of " + Arrays.toString(args) + ": " + r.err());
        assertTrue(r.err().contains(fragment), () -> "message '" + r.err().strip() + "' lacks '" + fragment + "'");
    }

    private String[] train(Path data, Path out, String... extra) {
        String[] base = {"train", "--data", data.toString(), "--out", out.toString(), "--steps", "2", "--context", "16",
                "--n-layer", "1", "--n-head", "2", "--n-emb", "16", "--batch", "2", "--eval-batches", "1"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void badTrainingInputIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path out = dir.resolve("out");
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "To be, or not to be");
        Path text = TinyModels.text(dir, 5_000);
        assertFails("file not found", train(dir.resolve("missing.txt"), out));
        assertFails("is empty", train(empty, out));
        assertFails("fewer than T+1", train(tiny, out));
        assertFails("n-layer must be > 0", train(text, out, "--n-layer", "0"));
        assertFails("n-emb must be > 0", train(text, out, "--n-emb", "-4"));
        assertFails("must be divisible by n-head", train(text, out, "--n-emb", "10", "--n-head", "4"));
        assertFails("unknown positional encoding 'spiral'", train(text, out, "--positional", "spiral"));
        assertFails("unknown tokenizer 'morse'", train(text, out, "--tokenizer", "morse"));
        assertFails("--data FILE or --sft FILE is required", "train", "--out", out.toString());
        assertFalse(Files.exists(out), "a refused run wrote " + out);
    }

    @Test
    void aDamagedCheckpointIsReportedByNameAndTheOldOneSurvivesAFailedSave() throws Exception {
        Path ckpt = TinyModels.train(dir, "model", 3);
        Path text = TinyModels.text(dir, 3_000);
        assertEquals(0, rill("eval", "--checkpoint", ckpt.toString(), "--data", text.toString()).code());

        Path weights = ckpt.resolve("model.safetensors");
        byte[] good = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(good, good.length / 2));
        assertFails("not a valid safetensors file", "eval", "--checkpoint", ckpt.toString(), "--data", text.toString());
        byte[] garbage = good.clone();
        ByteBuffer.wrap(garbage).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 12);
        Files.write(weights, garbage);
        assertFails("not valid JSON", "generate", "--checkpoint", ckpt.toString(), "--max-tokens", "3");
        Files.write(weights, good);

        Path config = ckpt.resolve("config.json");
        String original = Files.readString(config);
        Files.writeString(config, original.replace("\"learned\"", "\"warp-drive\""));
        assertFails("unknown positional encoding 'warp-drive'; available: alibi, learned, none, rope, sinusoidal",
                "eval", "--checkpoint", ckpt.toString(), "--data", text.toString());
        assertFails("plugin folder", "eval", "--checkpoint", ckpt.toString(), "--data", text.toString());
        Files.writeString(config, original.replace("\"char\"", "\"klingon\""));
        assertFails("unknown tokenizer 'klingon'", "generate", "--checkpoint", ckpt.toString());
        Files.writeString(config, "{ \"n_layer\": ");
        assertFails("not valid JSON", "eval", "--checkpoint", ckpt.toString(), "--data", text.toString());
        Files.writeString(config, original);

        // A run that fails after its checkpoint (here: the text is too short for the new context) leaves it intact.
        assertFails("fewer than T+1", "train", "--data", Files.writeString(dir.resolve("short.txt"), "abc").toString(),
                "--out", ckpt.toString(), "--context", "16");
        assertArrayEquals(good, Files.readAllBytes(weights));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temporary folder left behind");
        }
    }

    @Test
    void evalPrintsTheLossLine() throws Exception {
        Path ckpt = TinyModels.train(dir, "m", 2);
        var out = new java.io.ByteArrayOutputStream();
        var old = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            assertEquals(0, rill("eval", "--model", ckpt.toString(), "--data", TinyModels.text(dir, 2_000).toString()).code());
        } finally {
            System.setOut(old);
        }
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.matches("loss \\d+\\.\\d{4} nats/token over 124 windows"), last);   // (2000 − 1) / 16 = 124 windows
    }

    @Test
    void fineTuningOnTheCommandLineAndAMalformedLineRefusedByNumber() throws Exception {
        Path text = TinyModels.text(dir, 5_000);
        Path base = dir.resolve("base");
        assertEquals(0, rill(train(text, base, "--context", "48")).code());
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi %d\"}, {\"role\": \"assistant\", \"content\": \"Hello.\"}]}\n";
        StringBuilder chats = new StringBuilder();
        for (int i = 0; i < 10; i++) chats.append(good.formatted(i));
        Path data = Files.writeString(dir.resolve("chats.jsonl"), chats);
        Path out = dir.resolve("tuned");
        Run ok = rill("train", "--sft", data.toString(), "--base", base.toString(), "--out", out.toString(), "--steps", "2",
                "--batch", "2", "--eval-interval", "1");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.isRegularFile(out.resolve("heldout.jsonl")));
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), chats + "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]\n");
        Path refused = dir.resolve("refused");
        assertFails("line 11 is not valid JSON", "train", "--sft", bad.toString(), "--base", base.toString(), "--out", refused.toString());
        assertFails("line 11 has no assistant message", "train", "--sft", Files.writeString(dir.resolve("noreply.jsonl"),
                chats + "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n").toString(), "--base", base.toString(),
                "--out", refused.toString());
        assertFails("give --data FILE (a text) or --sft FILE (conversations), not both", "train", "--sft", data.toString(),
                "--data", text.toString(), "--out", refused.toString());
        assertEquals(1, rill("train", "--sft", bad.toString(), "--base", base.toString(), "--out", refused.toString()).err().strip().lines().count());
        assertFalse(Files.exists(refused));
        assertEquals(0, rill("eval", "--checkpoint", out.toString(), "--sft", out.resolve("heldout.jsonl").toString()).code());
    }
}
