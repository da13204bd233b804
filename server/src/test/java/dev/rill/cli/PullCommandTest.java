package dev.rill.cli;

import dev.rill.hub.FakeHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void pullModelsAndRm() throws Exception {
        byte[] q8 = new byte[500_000];
        new SplittableRandom(2).nextBytes(q8);
        try (FakeHub fake = new FakeHub()) {
            fake.add("owner/model-GGUF", new FakeHub.File("model-Q8_0.gguf", q8, true, null));
            String cache = tmp.resolve("cli").toString(), url = fake.endpoint().toString();
            CliRun pull = CliRun.of("pull", "--endpoint", url, "--cache", cache, "owner/model-GGUF:Q8_0");
            assertEquals(0, pull.code(), pull.err());
            assertTrue(pull.out().contains("pulling owner/model-GGUF/model-Q8_0.gguf: 500.0 kB"), pull.out());
            assertTrue(pull.out().contains("SHA-256"), pull.out());
            Path file = Path.of(cache, "owner/model-GGUF/model-Q8_0.gguf");
            assertTrue(pull.out().strip().endsWith(file.toString()), pull.out());
            assertEquals(q8.length, Files.size(file));
            assertTrue(CliRun.of("pull", "--endpoint", url, "--cache", cache, "owner/model-GGUF:Q8_0").out().startsWith("already in the cache"));
            CliRun list = CliRun.of("models", "--cache", cache);
            assertTrue(list.out().contains("owner/model-GGUF/model-Q8_0.gguf"), list.out());
            assertTrue(list.out().contains("500.0 kB"), list.out());
            CliRun rm = CliRun.of("models", "rm", "--cache", cache, "owner/model-GGUF:Q8_0");
            assertEquals(0, rm.code(), rm.err());
            assertEquals("removed owner/model-GGUF/model-Q8_0.gguf", rm.out().strip());
            assertTrue(CliRun.of("models", "--cache", cache).out().contains("(empty;"));
            assertFalse(Files.exists(Path.of(cache, "owner")), "empty folders go too");
            CliRun again = CliRun.of("models", "rm", "--cache", cache, "owner/model-GGUF");
            assertEquals(1, again.code());
            assertTrue(again.err().contains("no cached model 'owner/model-GGUF'"), again.err());
            CliRun bad = CliRun.of("pull", "--endpoint", url, "--cache", cache, "not a model");
            assertEquals(1, bad.code());
            assertEquals("rill pull: 'not a model' is not a Hub model; write OWNER/REPO, OWNER/REPO:QUANT (e.g. Q4_K_M) or OWNER/REPO/FILE.gguf",
                    bad.err().strip());
            CliRun gated = CliRun.of("pull", "--endpoint", url, "--cache", cache, "owner/absent:Q8_0");
            assertEquals(1, gated.code());
            assertTrue(gated.err().startsWith("rill pull: repository owner/absent needs authentication (HTTP 401)"), gated.err());
            CliRun endpoint = CliRun.of("pull", "--endpoint", "not-a-url", "--cache", cache, "owner/model-GGUF");
            assertEquals(1, endpoint.code());
            assertTrue(endpoint.err().contains("--endpoint not-a-url is not an http(s) URL"), endpoint.err());
        }
    }
}
