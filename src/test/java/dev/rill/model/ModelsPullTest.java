package dev.rill.model;

import dev.rill.hub.FakeHub;
import dev.rill.hub.Hub;
import dev.rill.hub.ModelCache;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Hub reference as a model ({@code serve --model OWNER/REPO:QUANT}): pulled when it is loaded the first time, then from the cache. */
class ModelsPullTest {

    @TempDir
    Path tmp;

    @Test
    void aModelReferenceIsPulledWhenItIsLoadedAndThenComesFromTheCache() throws Exception {
        try (FakeHub fake = new FakeHub()) {
            Hub hub = new Hub(new Hub.Settings(fake.endpoint(), null, new ModelCache(tmp.resolve("cache")), false));
            Path gguf = new TinyGguf("llama", 40, 64, 1, 2, 2, 64, 32).write(tmp.resolve("tiny.gguf"), DType.Q8_0, 7);
            fake.add("rill/tiny-GGUF", new FakeHub.File("tiny-Q8_0.gguf", Files.readAllBytes(gguf), true, null));
            PluginRegistry registry = PluginRegistry.load();
            try (LoadedModel m = Models.load("rill/tiny-GGUF:Q8_0", null, registry, 0, done -> { }, hub)) {
                assertEquals("tiny-Q8_0", m.name());
                assertEquals(tmp.resolve("cache/rill/tiny-GGUF/tiny-Q8_0.gguf"), m.source());
                assertEquals(40, m.weights().arch().nVocab());
            }
            int asked = fake.requests.get();
            try (LoadedModel m = Models.load("rill/tiny-GGUF:Q8_0", "tiny", registry, 0, done -> { }, hub)) {
                assertEquals("tiny", m.name());
            }
            assertEquals(asked, fake.requests.get(), "the second load needs no request");
            var e = assertThrows(IOException.class, () -> Models.load("rill/nothing-here", null, registry, 0, done -> { }, hub));
            assertTrue(e.getMessage().startsWith("rill/nothing-here is not a file or folder here, and pulling it from " + fake.endpoint()
                    + " failed: repository rill/nothing-here needs authentication"), e.getMessage());
        }
    }
}
