package dev.rill.server.config;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every setting can come from environment variables (Kubernetes), maps included; defaults hold otherwise. */
class RillConfigTest {

    static RillConfig config(Map<String, String> env) {
        return builder().withSources(new EnvConfigSource(env, 300)).build().getConfigMapping(RillConfig.class);
    }

    /** Quarkus registers the converters of memory sizes (32M) and durations (30s) in the application; a bare builder needs them named. */
    static SmallRyeConfigBuilder builder() {
        return new SmallRyeConfigBuilder().withMapping(RillConfig.class)
                .withConverter(io.quarkus.runtime.configuration.MemorySize.class, 100, new io.quarkus.runtime.configuration.MemorySizeConverter())
                .withConverter(java.time.Duration.class, 100, new io.quarkus.runtime.configuration.DurationConverter());
    }

    @Test
    void defaults() {
        RillConfig c = config(Map.of());
        assertEquals("bundled:chat", c.model());
        assertTrue(c.adminKeys().isEmpty());
        assertEquals(1, c.train().maxConcurrent());
        assertEquals(4, c.train().queueSize());
        assertEquals(32L << 20, c.train().maxUploadSize().asLongValue());
        assertEquals(java.nio.file.Path.of("data"), c.train().dataDir());
        assertTrue(c.train().threads().isEmpty());
        assertEquals("cpu", c.backend().name());
        assertTrue(c.models().isEmpty());
        assertTrue(c.apiKeys().isEmpty());
        assertEquals(16, c.generation().maxConcurrent());
        assertEquals(64, c.generation().queueSize());
        assertEquals(64, c.generation().prefillChunk());
        assertEquals(256, c.generation().defaultMaxTokens());
        assertEquals(4096, c.generation().maxTokens());
        assertEquals(65536, c.limits().maxMessageSize());
        assertEquals(java.time.Duration.ofSeconds(30), c.limits().bodyTimeout());
        assertEquals(2048, c.limits().maxMessages());
        assertEquals(32, c.limits().maxBodiesPerClient());
        assertEquals(4, c.limits().perClient().maxConcurrent());
        assertEquals(16, c.limits().perClient().maxQueued());
    }

    @Test
    void theEnginesThreadsPropertyIsAServerSettingToo() {
        // -Drill.threads=N (read by the engine) must not fail the server's validation of rill.* keys.
        SmallRyeConfig config = builder().withSources(new PropertiesConfigSource(Map.of("rill.threads", "1"), "test", 400)).build();
        assertEquals(1, config.getConfigMapping(RillConfig.class).threads().getAsInt());
        assertTrue(config(Map.of()).threads().isEmpty());
        assertEquals(3, config(Map.of("RILL_THREADS", "3")).threads().getAsInt());
    }

    @Test
    void environmentVariablesSetEverythingIncludingMaps() {
        RillConfig c = config(Map.ofEntries(
                Map.entry("RILL_MODEL", "/models/mine"),
                Map.entry("RILL_MODELS_SECOND", "bundled:shakespeare"),
                Map.entry("RILL_BACKEND", "tornadovm"),
                Map.entry("RILL_SAMPLING_CHAIN", "top-k,temperature,dist"),
                Map.entry("RILL_SAMPLING_PARAMS_TEMPERATURE", "0.7"),
                Map.entry("RILL_SAMPLING_PARAMS_TOP_K", "20"),
                Map.entry("RILL_GENERATION_MAX_CONCURRENT", "3"),
                Map.entry("RILL_LIMITS_MAX_MESSAGE_SIZE", "1000"),
                Map.entry("RILL_API_KEYS", "k1,k2"),
                Map.entry("RILL_ADMIN_KEYS", "a1"),
                Map.entry("RILL_TRAIN_MAX_UPLOAD_SIZE", "2M"),
                Map.entry("RILL_TRAIN_THREADS", "1"),
                Map.entry("RILL_BACKEND_PARAMS_MAX_SEQUENCES", "16"),
                Map.entry("RILL_ALLOWED_ORIGINS", "https://a.example,https://b.example")));
        assertEquals("/models/mine", c.model());
        assertEquals(Map.of("second", "bundled:shakespeare"), c.models());
        assertEquals("tornadovm", c.backend().name());
        assertEquals(List.of("top-k", "temperature", "dist"), c.sampling().chain().orElseThrow());
        assertEquals("0.7", c.sampling().params().get("temperature"));
        // The key arrives as the environment spells it back (top-k / top.k / top_k); SamplingSettings reads all as top_k.
        String topK = c.sampling().params().keySet().stream().filter(k -> k.startsWith("top")).findFirst().orElseThrow();
        assertEquals("top_k", dev.rill.server.sampling.SamplingSettingsAccess.normalize(topK));
        assertEquals("20", c.sampling().params().get(topK));
        assertEquals(3, c.generation().maxConcurrent());
        assertEquals(1000, c.limits().maxMessageSize());
        assertEquals(List.of("k1", "k2"), c.apiKeys().orElseThrow());
        assertEquals(List.of("a1"), c.adminKeys().orElseThrow());
        assertEquals(2L << 20, c.train().maxUploadSize().asLongValue());
        assertEquals(1, c.train().threads().getAsInt());
        assertEquals(1, c.backend().params().size());
        assertEquals("16", c.backend().params().values().iterator().next());
        assertEquals(List.of("https://a.example", "https://b.example"), c.allowedOrigins().orElseThrow());
    }
}
