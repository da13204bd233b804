package dev.rill.server.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything the server reads from configuration, under the prefix {@code rill}. Every key can be
 * set in {@code application.properties}, as a system property ({@code -Drill.model=...}) or as an
 * environment variable ({@code RILL_MODEL}, {@code RILL_GENERATION_MAX_CONCURRENT}, ...).
 */
@ConfigMapping(prefix = "rill")
public interface RillConfig {

    /** The default model: {@code bundled:NAME}, a Rill checkpoint folder or a .gguf file. */
    @WithDefault("bundled:chat")
    String model();

    /** The name the default model is served under (default: derived from {@link #model()}). */
    Optional<String> modelName();

    /** Further models to serve: name → {@code bundled:NAME}, checkpoint folder or .gguf file. */
    Map<String, String> models();

    Backend backend();

    /**
     * Threads for the model's kernels (default: every core). The engine also reads it as the system
     * property {@code -Drill.threads=N}; here it can come from any config source, e.g. {@code RILL_THREADS}.
     */
    OptionalInt threads();

    /** A folder of plugin jars loaded besides those on the class path. */
    Optional<Path> plugins();

    /**
     * At most this many seconds per configured model of running it on throwaway sequences before the
     * server reports ready, until the JIT has compiled its kernels (it stops as soon as the JIT is
     * quiet), so that the first request does not wait for them; 0: no warm-up.
     */
    @WithDefault("20")
    double warmupSeconds();

    /** Exit the application when a model cannot be loaded (else stay up, not ready). */
    @WithDefault("true")
    boolean exitOnLoadFailure();

    Sampling sampling();

    Generation generation();

    Limits limits();

    /** API keys; when set, /v1, /api and /ws need one of them. Empty: no authentication. */
    Optional<List<String>> apiKeys();

    /**
     * Admin keys: when set, training ({@code /api/train}, {@code /ws/train}) needs one of them, and
     * they are accepted wherever an API key is. Empty: training is as open as the rest of the API.
     */
    Optional<List<String>> adminKeys();

    /** Training jobs in the server ({@code rill.train.*}). */
    TrainSettings train();

    /**
     * Origins (e.g. {@code https://chat.example.com}) allowed to open the WebSocket besides the
     * server's own; {@code *} allows any. Requests without an Origin header (non-browser clients) pass.
     */
    Optional<List<String>> allowedOrigins();

    /** Cross-origin requests to {@code /v1} and {@code /api} from browser pages (CORS). */
    Cors cors();

    interface Cors {
        /**
         * Origins (e.g. {@code https://app.example.com}) whose pages may call {@code /v1} and {@code /api};
         * {@code *} allows any. None: no CORS headers, so browsers keep other origins out.
         */
        Optional<List<String>> origins();
    }

    interface Backend {
        /** The compute backend plugin ({@code rill.backend}). */
        @WithParentName
        @WithDefault("cpu")
        String name();

        /** Its parameters, e.g. {@code rill.backend.params.max-sequences=16} for tornadovm. */
        Map<String, String> params();
    }

    interface Sampling {
        /** The sampler chain, by name (default: the engine's default chain). */
        Optional<List<String>> chain();

        /** Default parameter values (e.g. {@code rill.sampling.params.temperature=0.7}). */
        Map<String, String> params();
    }

    interface Generation {
        /** Generations decoded together (each has its own KV cache). */
        @WithDefault("16")
        int maxConcurrent();

        /** Generations waiting for a slot; beyond that requests are refused (WS "overloaded", HTTP 429). */
        @WithDefault("64")
        int queueSize();

        /** Prompt tokens processed per scheduler iteration while other streams decode. */
        @WithDefault("64")
        int prefillChunk();

        /** max_tokens when a request gives none. */
        @WithDefault("256")
        int defaultMaxTokens();

        /** The largest max_tokens a request may ask for. */
        @WithDefault("4096")
        int maxTokens();

        /** Seconds in the Retry-After header of a 429. */
        @WithDefault("1")
        int retryAfter();
    }

    interface Limits {
        /** Largest WebSocket message handled, in bytes; larger ones get an error frame. */
        @WithDefault("65536")
        int maxMessageSize();

        /** Most messages in one conversation (older turns beyond the context are dropped, but all are read). */
        @WithDefault("2048")
        int maxMessages();

        /** Most stop strings per request. */
        @WithDefault("16")
        int maxStop();

        /** Longest stop string, in characters. */
        @WithDefault("256")
        @WithName("max-stop-length")
        int maxStopLength();

        /** How long a request body may take to arrive, from the end of its headers; then 408. */
        @WithDefault("30s")
        Duration bodyTimeout();

        /** Request bodies arriving at once from one client address; more get 429. */
        @WithDefault("32")
        int maxBodiesPerClient();

        /** Fair use, per client (its API key, else its address). */
        PerClient perClient();
    }

    interface PerClient {
        /** Generations one client may have in the schedulers at once (running or queued there). */
        @WithDefault("4")
        int maxConcurrent();

        /** Further generations of one client held back until one of its own ends; beyond, refused (overloaded, 429). */
        @WithDefault("16")
        int maxQueued();
    }
}
