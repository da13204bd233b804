package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.Params;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/** {@code --backend NAME} and {@code --backend-param K=V}: the compute backend a model runs on. */
final class BackendOptions {

    static final String DEFAULT = "cpu";

    @Option(names = "--backend", paramLabel = "NAME", description = "Compute backend: cpu, tornadovm (GPU, see the README) or a plugin's (default: " + DEFAULT + ").")
    String name;
    @Option(names = "--backend-param", paramLabel = "K=V",
            description = "A compute-backend parameter (repeatable), e.g. max-sequences=16 (default: the backend's; `rill plugins` lists them).")
    List<String> params;

    String name() {
        return name != null ? name : DEFAULT;
    }

    Map<String, Object> given() {
        return KeyValues.parse(params, "--backend-param");
    }

    /** The backend, which must be available here. */
    ComputeBackend backend(PluginRegistry registry) {
        ComputeBackend backend = registry.get(ComputeBackend.class, name());
        if (!backend.availability().available()) {
            throw new IllegalStateException("compute backend '" + backend.name() + "' is unavailable: " + backend.availability().reason());
        }
        return backend;
    }

    /** The given parameters, checked by the backend. */
    Params params(ComputeBackend backend) {
        return backend.params(given());
    }
}
