package dev.rill.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pulling models from the Hugging Face Hub, against a local server with the Hub's paths
 * ({@link FakeHub}): picking the file, resuming, checksums, gated repositories, redirects, the
 * cache's location.
 */
class HubTest {

    @TempDir
    Path tmp;
    FakeHub fake;
    Hub hub;
    final byte[] q4 = bytes(300_000, 1), q8 = bytes(500_000, 2);

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @BeforeEach
    void start() throws IOException {
        fake = new FakeHub();
        fake.add("owner/model-GGUF",
                new FakeHub.File("README.md", "# a model\n".getBytes(), false, null),
                new FakeHub.File("model-Q8_0.gguf", q8, true, null),
                new FakeHub.File("model-Q4_K_M.gguf", q4, true, null),
                new FakeHub.File("mmproj-model-f16.gguf", bytes(1000, 3), true, null),
                new FakeHub.File("big/model-Q6_K-00001-of-00002.gguf", bytes(100, 4), true, null),
                new FakeHub.File("big/model-Q6_K-00002-of-00002.gguf", bytes(100, 5), true, null));
        hub = new Hub(new Hub.Settings(fake.endpoint(), null, new ModelCache(tmp.resolve("cache")), false));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    static HubRef ref(String s) {
        return HubRef.parse(s).orElseThrow();
    }

    @Test
    void referencesAreParsedAsLlamaCppAndOllamaWriteThem() {
        assertEquals(new HubRef("owner/model-GGUF", null, null), ref("owner/model-GGUF"));
        assertEquals(new HubRef("owner/model-GGUF", "Q4_K_M", null), ref("hf.co/owner/model-GGUF:Q4_K_M"));
        assertEquals(new HubRef("owner/model-GGUF", null, "sub/m.Q8_0.gguf"), ref("owner/model-GGUF/sub/m.Q8_0.gguf"));
        assertTrue(HubRef.parse("/abs/path.gguf").isEmpty());
        assertTrue(HubRef.parse("./runs/x").isEmpty());
        assertTrue(HubRef.parse("owner/../etc/passwd.gguf").isEmpty());
        assertTrue(HubRef.parse("bundled:shakespeare").isEmpty());
        assertTrue(HubRef.isQuant("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "q4_k_m"));
        assertFalse(HubRef.isQuant("model-Q4_K_M.gguf", "Q4_K"));
    }

    @Test
    void pullsThePreferredOrNamedQuantizationAcrossListingPagesAndChecksItsSha256() throws IOException {
        Path file = hub.pull(ref("owner/model-GGUF"), Hub.Progress.NONE);
        assertEquals(tmp.resolve("cache/owner/model-GGUF/model-Q4_K_M.gguf"), file);
        assertArrayEquals(q4, Files.readAllBytes(file));
        Path q8File = hub.pull(ref("owner/model-GGUF:q8_0"), Hub.Progress.NONE);
        assertArrayEquals(q8, Files.readAllBytes(q8File));
        int asked = fake.requests.get();
        assertEquals(file, hub.pull(ref("owner/model-GGUF:Q4_K_M"), Hub.Progress.NONE), "cached");
        assertEquals(asked, fake.requests.get(), "a cached model needs no request");
        assertEquals("[]", fake.cdnAuthorization.toString());
        // A small non-LFS file is checked by its git blob id.
        Path readme = hub.download("owner/model-GGUF", hub.files("owner/model-GGUF").stream()
                .filter(f -> f.path().equals("README.md")).findFirst().orElseThrow(), Hub.Progress.NONE);
        assertEquals("# a model\n", Files.readString(readme));
    }

    @Test
    void namesWhatIsThereWhenTheQuantizationIsNot() {
        var e = assertThrows(IllegalArgumentException.class, () -> hub.pull(ref("owner/model-GGUF:IQ2_XS"), Hub.Progress.NONE));
        assertEquals("repository owner/model-GGUF has no IQ2_XS file; its GGUF files: model-Q8_0.gguf, model-Q4_K_M.gguf, "
                + "big/model-Q6_K-00001-of-00002.gguf, big/model-Q6_K-00002-of-00002.gguf", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> hub.pull(ref("owner/model-GGUF:Q6_K"), Hub.Progress.NONE));
        assertTrue(e.getMessage().startsWith("big/model-Q6_K-00001-of-00002.gguf is split into 2 parts; Rill loads single-file GGUF models"),
                e.getMessage());
        var missing = assertThrows(IOException.class, () -> hub.pull(ref("owner/absent"), Hub.Progress.NONE));
        assertTrue(missing.getMessage().startsWith("repository owner/absent needs authentication (HTTP 401)"), missing.getMessage());
    }

    @Test
    void anInterruptedDownloadResumesWithARangeRequest() throws IOException {
        fake.cutAfter = 123_456;
        assertThrows(IOException.class, () -> hub.pull(ref("owner/model-GGUF:Q8_0"), Hub.Progress.NONE));
        Path part = tmp.resolve("cache/owner/model-GGUF/model-Q8_0.gguf.part");
        assertEquals(123_456, Files.size(part), "the bytes that arrived are kept");
        assertFalse(Files.exists(tmp.resolve("cache/owner/model-GGUF/model-Q8_0.gguf")), "never an incomplete file under the model's name");
        long[] seen = new long[3];
        Path file = hub.pull(ref("owner/model-GGUF:Q8_0"), new Hub.Progress() {
            public void started(String name, long total, long resumed) {
                seen[0] = total;
                seen[1] = resumed;
            }

            public void advanced(long done) {
                seen[2] = done;
            }
        });
        assertEquals(List.of("bytes=123456-"), fake.ranges);
        assertEquals(q8.length, seen[0]);
        assertEquals(123_456, seen[1]);
        assertEquals(q8.length, seen[2]);
        assertArrayEquals(q8, Files.readAllBytes(file), "the resumed file is whole (and its SHA-256 over both parts checked)");
        assertFalse(Files.exists(part));
    }

    @Test
    void aChecksumMismatchLeavesNothingBehind() {
        fake.add("owner/bad", new FakeHub.File("bad-Q8_0.gguf", bytes(5000, 9), true, "0".repeat(64)));
        var e = assertThrows(IOException.class, () -> hub.pull(ref("owner/bad"), Hub.Progress.NONE));
        assertTrue(e.getMessage().startsWith("checksum mismatch for owner/bad/bad-Q8_0.gguf: the Hub says SHA-256 0000"), e.getMessage());
        assertTrue(e.getMessage().endsWith("the partial file was removed, pull again"), e.getMessage());
        assertEquals(List.of(), hub.settings().cache().list());
    }

    @Test
    void aGatedRepositoryNeedsTheTokenWhichNeverLeavesTheHubsHost() throws IOException {
        fake.add("meta/gated", new FakeHub.File("gated-Q4_K_M.gguf", q4, true, null));
        fake.gated.add("meta/gated");
        var e = assertThrows(IOException.class, () -> hub.pull(ref("meta/gated"), Hub.Progress.NONE));
        assertEquals("repository meta/gated needs authentication (HTTP 401): the repository is gated or private, or does not exist; set HF_TOKEN "
                + "to an access token (" + fake.endpoint() + "/settings/tokens) and accept the model's terms at " + fake.endpoint() + "/meta/gated",
                e.getMessage());
        Hub.Settings env = Hub.Settings.fromEnvironment(Map.of("HF_ENDPOINT", fake.endpoint() + "/", "HF_TOKEN", FakeHub.TOKEN,
                "RILL_MODELS", tmp.resolve("env-cache").toString()), tmp.toString());
        assertEquals(fake.endpoint(), env.endpoint());
        Path file = new Hub(env).pull(ref("meta/gated"), Hub.Progress.NONE);
        assertEquals(tmp.resolve("env-cache/meta/gated/gated-Q4_K_M.gguf"), file);
        assertArrayEquals(q4, Files.readAllBytes(file));
        assertEquals("[]", fake.cdnAuthorization.toString(), "the redirect to storage went without the token");
    }

    @Test
    void theCacheFollowsRillModelsThenXdgThenHome() {
        assertEquals(Path.of("/m"), ModelCache.defaultRoot(Map.of("RILL_MODELS", "/m", "XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/x/rill/models"), ModelCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/rill/models"), ModelCache.defaultRoot(Map.of(), "/home/u"));
        Hub.Settings offline = Hub.Settings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "1", "RILL_MODELS", tmp.toString()), "/home/u");
        assertEquals("https://huggingface.co", offline.endpoint().toString());
        var e = assertThrows(IOException.class, () -> new Hub(offline).pull(ref("owner/model-GGUF"), Hub.Progress.NONE));
        assertTrue(e.getMessage().endsWith("and HF_HUB_OFFLINE is set"), e.getMessage());
    }

}
