package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code rill serve}: starts the Quarkus application (WebSocket chat, OpenAI-style API, web page,
 * health and metrics). Options become configuration as system properties, which outrank
 * {@code application.properties} and environment variables; anything not given comes from there.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model: WebSocket chat on /ws/chat, the OpenAI-style API on /v1, the web page on /.",
                "Every option is also configuration (rill.* / quarkus.http.*), settable by environment variable."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;
    @Option(names = "--model-name", paramLabel = "NAME", description = "Name to serve the model under (default: from the path).")
    String modelName;
    @Option(names = "--port", paramLabel = "N", description = "HTTP port (default: 8080).")
    Integer port;
    @Option(names = "--host", description = "Interface to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 for every interface).")
    String host;
    @Mixin
    BackendOptions backend;
    @Mixin
    PluginOptions plugins;
    @Mixin
    SamplingOptions sampling;   // the defaults of requests that name no chain or parameters
    @Option(names = "--max-concurrent", paramLabel = "N", description = "Generations decoded together (default: 16).")
    Integer maxConcurrent;
    @Option(names = "--queue-size", paramLabel = "N", description = "Generations waiting beyond those before requests are refused (default: 64).")
    Integer queueSize;
    @Option(names = "--api-key", paramLabel = "KEY", description = "Require this API key (repeatable); see the README for how clients send it.")
    List<String> apiKeys;
    @Option(names = "--allowed-origin", paramLabel = "ORIGIN", description = "Allow browser pages from this origin to open the WebSocket (repeatable; * for any).")
    List<String> origins;

    @Override
    public Integer call() {
        if (plugins.dir != null && !Files.isDirectory(plugins.dir)) throw new IllegalArgumentException("--plugins " + plugins.dir + " is not a folder");
        if (port != null && (port < 0 || port > 65535)) throw new IllegalArgumentException("--port must be in 0..65535 (got " + port + ")");
        Map<String, String> props = new LinkedHashMap<>();
        put(props, "rill.model", model.spec);
        put(props, "rill.model-name", modelName);
        put(props, "quarkus.http.port", port);
        put(props, "quarkus.http.host", host);
        put(props, "rill.backend", backend.name);
        backend.given().forEach((k, v) -> props.put("rill.backend.params." + k, v.toString()));
        put(props, "rill.plugins", plugins.dir == null ? null : plugins.dir.toAbsolutePath());
        put(props, "rill.sampling.chain", sampling.chain == null ? null : String.join(",", sampling.chain));
        sampling.given().forEach((k, v) -> props.put("rill.sampling.params." + k, v.toString()));
        put(props, "rill.generation.max-concurrent", maxConcurrent);
        put(props, "rill.generation.queue-size", queueSize);
        put(props, "rill.api-keys", apiKeys == null ? null : String.join(",", apiKeys));
        put(props, "rill.allowed-origins", origins == null ? null : String.join(",", origins));
        checkGiven();
        String listen = PortCheck.setting(props, "quarkus.http.port");
        if (listen != null && listen.strip().matches("\\d+")) {
            PortCheck.free(Objects.requireNonNullElse(PortCheck.setting(props, "quarkus.http.host"), "127.0.0.1"), Integer.parseInt(listen.strip()));
        }
        props.forEach(System::setProperty);
        Quarkus.run(Server.class, new String[0]);
        return 0;
    }

    /**
     * What the command line gives is checked before anything starts, with the checks the server makes,
     * so a mistake is one line and exit code 1 (settings from configuration are checked as the model loads).
     */
    private void checkGiven() {
        if (sampling.chain == null && sampling.params == null && backend.name == null && backend.params == null) return;
        PluginRegistry registry = plugins.registry();
        // As the server takes them: '-' and '.' in names stand for '_', values apply to the steps that declare them.
        Map<String, Object> params = new LinkedHashMap<>();
        sampling.given().forEach((k, v) -> params.put(k.replace('-', '_').replace('.', '_'), v));
        SamplerChain.of(registry, sampling.chain(), params, Map.of());
        if (backend.name != null || backend.params != null) backend.params(backend.backend(registry));
    }

    private static void put(Map<String, String> props, String key, Object value) {
        if (value != null) props.put(key, value.toString());
    }

    /** Runs until the application is asked to stop (Ctrl-C, SIGTERM). */
    public static final class Server implements QuarkusApplication {
        @Override
        public int run(String... args) {
            Quarkus.waitForExit();
            return 0;
        }
    }
}
