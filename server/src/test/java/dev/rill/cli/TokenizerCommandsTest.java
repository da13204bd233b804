package dev.rill.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rill tokenizer train} and {@code rill tokenize}, end to end. */
class TokenizerCommandsTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Rill.run(args);
    }

    @Test
    void trainThenTokenize(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat; the cat ate the rat. ".repeat(50));
        assertEquals(0, run("tokenizer", "train", "--vocab-size", "300", "--data", text.toString(), "--out", dir.toString(),
                "--tokenizer-param", "special_tokens=<|endoftext|>"));
        assertTrue(out.toString().startsWith("bpe: "), out.toString());
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));

        assertEquals(0, run("tokenize", "--tokenizer", "bpe", "--file", dir.toString(), "--text", "the cat\n<|endoftext|>", "--allow-special"));
        String listing = out.toString();
        assertTrue(listing.contains("' the cat'") || listing.contains("' cat'"), listing);
        assertTrue(listing.contains("'\\n'"), "line breaks are shown escaped: " + listing);
        assertTrue(listing.contains("'<|endoftext|>'"), listing);

        assertEquals(0, run("tokenize", "--tokenizer", "bpe", "--file", dir.resolve("tokenizer.json").toString(), "--text", "the cat", "--count"));
        int count = Integer.parseInt(out.toString().strip());
        assertTrue(count >= 1 && count <= 3, "count " + count);
    }

    @Test
    void badInputGivesOneLineAndExitCode1(@TempDir Path dir) throws Exception {
        assertEquals(1, run("tokenize", "--tokenizer", "hf", "--text", "x"));
        assertTrue(err.toString().contains("needs --file"), err.toString());
        assertEquals(1, run("tokenize", "--tokenizer", "nope", "--file", "x", "--text", "x"));
        assertTrue(err.toString().contains("unknown tokenizer 'nope'; available: bpe, char, gguf, hf, tiktoken"), err.toString());
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "abc");
        assertEquals(1, run("tokenizer", "train", "--vocab-size", "10", "--data", text.toString(), "--out", dir.resolve("o.json").toString()));
        assertTrue(err.toString().contains("vocab_size"), err.toString());
        Files.write(text, new byte[]{(byte) 0xC3, (byte) 0x28});
        assertEquals(1, run("tokenizer", "train", "--data", text.toString(), "--out", dir.resolve("o.json").toString()));
        assertTrue(err.toString().contains("is not UTF-8 text"), err.toString());
        assertEquals(1, run("tokenizer", "train", "--tokenizer", "hf", "--data", text.toString(), "--out", dir.resolve("o.json").toString()));
        assertTrue(err.toString().contains("is not trainable"), err.toString());
    }
}
