package dev.rill.cli;

import dev.rill.hub.FakeHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rill pull}, {@code rill models}, {@code rill models rm} against a local server with the Hub's paths. */
class PullCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run rill(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            int code = Rill.run(new PrintWriter(err, true), args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(out);
        }
    }

    @Test
    void pullModelsAndRm() throws Exception {
        byte[] q8 = new byte[500_000];
        new SplittableRandom(2).nextBytes(q8);
        try (FakeHub fake = new FakeHub()) {
            fake.add("owner/model-GGUF", new FakeHub.File("model-Q8_0.gguf", q8, true, null));
            String cache = tmp.resolve("cli").toString(), url = fake.endpoint().toString();
            Run pull = rill("pull", "--endpoint", url, "--cache", cache, "owner/model-GGUF:Q8_0");
            assertEquals(0, pull.code(), pull.err());
            assertTrue(pull.out().contains("pulling owner/model-GGUF/model-Q8_0.gguf: 500.0 kB"), pull.out());
            assertTrue(pull.out().contains("100 %"), pull.out());
            assertTrue(pull.out().contains("SHA-256"), pull.out());
            Path file = Path.of(cache, "owner/model-GGUF/model-Q8_0.gguf");
            assertTrue(pull.out().strip().endsWith(file.toString()), pull.out());
            assertEquals(q8.length, Files.size(file));
            assertTrue(rill("pull", "--endpoint", url, "--cache", cache, "owner/model-GGUF:Q8_0").out().startsWith("already in the cache"));
            Run list = rill("models", "--cache", cache);
            assertTrue(list.out().contains("owner/model-GGUF/model-Q8_0.gguf"), list.out());
            assertTrue(list.out().contains("500.0 kB"), list.out());
            Run rm = rill("models", "rm", "--cache", cache, "owner/model-GGUF:Q8_0");
            assertEquals(0, rm.code(), rm.err());
            assertEquals("removed owner/model-GGUF/model-Q8_0.gguf", rm.out().strip());
            assertTrue(rill("models", "--cache", cache).out().contains("(empty;"));
            assertFalse(Files.exists(Path.of(cache, "owner")), "empty folders go too");
            Run again = rill("models", "rm", "--cache", cache, "owner/model-GGUF");
            assertEquals(1, again.code());
            assertTrue(again.err().contains("no cached model 'owner/model-GGUF'"), again.err());
            Run bad = rill("pull", "--endpoint", url, "--cache", cache, "not a model");
            assertEquals(1, bad.code());
            assertEquals("rill pull: 'not a model' is not a Hub model; write OWNER/REPO, OWNER/REPO:QUANT (e.g. Q4_K_M) or OWNER/REPO/FILE.gguf",
                    bad.err().strip());
            Run gated = rill("pull", "--endpoint", url, "--cache", cache, "owner/absent:Q8_0");
            assertEquals(1, gated.code());
            assertTrue(gated.err().startsWith("rill pull: repository owner/absent needs authentication (HTTP 401)"), gated.err());
            Run endpoint = rill("pull", "--endpoint", "not-a-url", "--cache", cache, "owner/model-GGUF");
            assertEquals(1, endpoint.code());
            assertTrue(endpoint.err().contains("--endpoint not-a-url is not an http(s) URL"), endpoint.err());
        }
    }
}
