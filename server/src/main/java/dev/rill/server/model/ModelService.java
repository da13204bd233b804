package dev.rill.server.model;

import dev.rill.console.Progress;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.WarmUp;
import dev.rill.model.LoadedModel;
import dev.rill.model.Models;
import dev.rill.plugin.PluginRegistry;
import dev.rill.console.UserErrors;
import dev.rill.server.api.ApiException;
import dev.rill.server.chat.ChatFormats;
import dev.rill.server.config.RillConfig;
import dev.rill.server.metrics.ServerMetrics;
import dev.rill.server.sampling.SamplingSettings;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the configured models in the background at start-up (so liveness answers at once and
 * readiness turns UP when they are loaded), prepares each on the compute backend and starts its
 * batch scheduler. Looks models up by name for requests.
 */
@ApplicationScoped
public class ModelService {

    private static final Logger LOG = Logger.getLogger(ModelService.class);

    /** Where loading stands. */
    public enum State { LOADING, READY, FAILED }

    @Inject
    RillConfig config;
    @Inject
    ServerMetrics metrics;

    private volatile State state = State.LOADING;
    private volatile String failure;
    private volatile Map<String, ServedModel> models = Map.of();
    private volatile String defaultName;
    private volatile PluginRegistry registry;
    private volatile SamplingSettings sampling;
    private volatile ComputeBackend backend;
    private volatile Params backendParams;
    private volatile BatchScheduler.Settings schedulerSettings;
    private volatile java.util.Set<String> configured = java.util.Set.of();
    private Thread loader;
    private volatile boolean stopping;

    void onStart(@Observes StartupEvent event) {
        loader = Thread.ofPlatform().name("rill-model-loader").start(this::load);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (loader != null) loader.interrupt();
        for (ServedModel m : models.values()) {
            m.scheduler().close();
            m.pass().close();
            try {
                m.model().close();   // e.g. unmaps a GGUF file
            } catch (Exception e) {
                LOG.debugf(e, "closing model %s", m.name());
            }
        }
    }

    private void load() {
        long t0 = System.nanoTime();
        try {
            PluginRegistry plugins = PluginRegistry.load(config.plugins().orElse(null));
            SamplingSettings samplingSettings = new SamplingSettings(plugins,
                    config.sampling().chain().orElse(null), config.sampling().params());
            ComputeBackend backend = plugins.get(ComputeBackend.class, config.backend().name());
            if (!backend.availability().available()) {
                throw new IllegalStateException("compute backend '" + backend.name() + "' is unavailable: " + backend.availability().reason());
            }
            Map<String, String> given = withThreads(backend, declaredSpelling(backend, config.backend().params()));
            Params backendParams;
            try {
                backendParams = backend.params(given);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rill.backend.params: " + e.getMessage(), e);
            }
            var g = config.generation();
            BatchScheduler.Settings settings = new BatchScheduler.Settings(g.maxConcurrent(), g.queueSize(), g.prefillChunk());
            if (g.defaultMaxTokens() < 1 || g.maxTokens() < g.defaultMaxTokens()) {
                throw new IllegalArgumentException("rill.generation: need 1 ≤ default-max-tokens ≤ max-tokens (got "
                        + g.defaultMaxTokens() + " and " + g.maxTokens() + ")");
            }
            if (!(config.warmupSeconds() >= 0)) {
                throw new IllegalArgumentException("rill.warmup-seconds must be a number of seconds >= 0 (0: no warm-up), got " + config.warmupSeconds());
            }
            Map<String, String> specs = new LinkedHashMap<>();
            specs.put(config.modelName().orElse(""), config.model());
            specs.putAll(config.models());
            Map<String, ServedModel> loaded = new LinkedHashMap<>();
            String first = null;
            for (Map.Entry<String, String> e : specs.entrySet()) {
                String name = e.getKey().isEmpty() ? null : e.getKey();
                LoadedModel model;
                try {
                    model = Models.load(e.getValue(), name, plugins, 0, new Progress("loading " + e.getValue(), false, null, LOG::info, 5));
                } catch (Exception ex) {
                    if (stopping || !UserErrors.is(ex)) throw ex;
                    throw new IllegalArgumentException("cannot load model " + (name == null ? "" : "'" + name + "' ")
                            + "from '" + e.getValue() + "': " + UserErrors.message(ex), ex);
                }
                if (loaded.containsKey(model.name())) {
                    throw new IllegalArgumentException("two models are served under the name '" + model.name() + "'; set rill.model-name");
                }
                ServedModel served = serve(model, backend, backendParams, settings, true);
                loaded.put(model.name(), served);
                metrics.register(served.name(), served.scheduler());
                if (first == null) first = model.name();
            }
            registry = plugins;
            sampling = samplingSettings;
            this.backend = backend;
            this.backendParams = backendParams;
            this.schedulerSettings = settings;
            configured = java.util.Set.copyOf(loaded.keySet());
            models = Collections.unmodifiableMap(loaded);
            defaultName = first;
            state = State.READY;
            LOG.infof("serving %s (default '%s') on backend %s; loaded in %.0f ms", loaded.keySet(), first, backend.name(),
                    (System.nanoTime() - t0) / 1e6);
        } catch (Throwable t) {
            state = State.FAILED;
            if (stopping) {
                // The application stopped while loading (e.g. its port was in use): that, not this, is the news.
                failure = "the server stopped while the model was loading";
                LOG.debugf(t, "model loading ended by shutdown");
                return;
            }
            // Bad configuration is one line naming the problem; anything else is a bug and keeps its stack trace.
            failure = UserErrors.message(t);
            LOG.error("rill: " + failure, UserErrors.is(t) && !Boolean.getBoolean("rill.debug") ? null : t);
            if (config.exitOnLoadFailure()) Quarkus.asyncExit(1);
        }
    }

    /** {@code warm}: run the model before it serves ({@link RillConfig#warmupSeconds()}); not for a training job's checkpoints, published mid-run. */
    private ServedModel serve(LoadedModel model, ComputeBackend backend, Params backendParams, BatchScheduler.Settings settings, boolean warm) {
        ForwardPass pass = backend.prepare(model.weights(), backendParams);
        if (warm && config.warmupSeconds() > 0) {
            long w0 = System.nanoTime();
            int rounds = WarmUp.run(pass, config.warmupSeconds());
            LOG.infof("warmed up '%s' in %.0f ms (%d rounds)", model.name(), (System.nanoTime() - w0) / 1e6, rounds);
        }
        BatchScheduler scheduler = new BatchScheduler(model, pass, settings, metrics.observer(model.name()));
        return new ServedModel(model.name(), model, pass, scheduler, ChatFormats.forModel(model), System.currentTimeMillis() / 1000);
    }

    /**
     * Serves {@code model} at once under its name (a training job's newest checkpoint). A model of
     * that name that a job published before is replaced: requests already on it finish first.
     *
     * @throws IllegalArgumentException when the name is one of the configured models
     */
    public synchronized void publish(LoadedModel model) {
        ready();
        if (configured.contains(model.name())) {
            throw new IllegalArgumentException("'" + model.name() + "' is a configured model; a trained model cannot replace it");
        }
        ServedModel served = serve(model, backend, backendParams, schedulerSettings, false);
        Map<String, ServedModel> next = new LinkedHashMap<>(models);
        ServedModel old = next.put(model.name(), served);
        models = Collections.unmodifiableMap(next);
        metrics.register(served.name(), served.scheduler());
        if (old != null) retire(old);
    }

    /** Whether {@code name} is served (configured or published). */
    public boolean serves(String name) {
        return models.containsKey(name);
    }

    /** Whether {@code name} is one of the models the configuration names (which training cannot replace). */
    public boolean isConfigured(String name) {
        return configured.contains(name);
    }

    /** Closes a replaced model once its scheduler has nothing left to do. */
    private static void retire(ServedModel old) {
        Thread.ofVirtual().name("rill-retire-" + old.name()).start(() -> {
            try {
                Thread.sleep(1000);   // a request that looked the model up just now still reaches its scheduler
                while (old.scheduler().active() + old.scheduler().queued() > 0) Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            old.scheduler().close();
            old.pass().close();
        });
    }

    /**
     * {@code rill.threads} as the backend's own {@code threads} parameter (each served model then has a
     * pool of that size), unless the backend parameters set it; a backend without the parameter ignores it.
     */
    private Map<String, String> withThreads(ComputeBackend backend, Map<String, String> params) {
        if (config.threads().isEmpty()) return params;
        int threads = config.threads().getAsInt();
        if (threads < 1) throw new IllegalArgumentException("rill.threads must be >= 1, got " + threads);
        if (params.containsKey("threads") || backend.parameters().stream().noneMatch(p -> p.name().equals("threads"))) return params;
        Map<String, String> out = new LinkedHashMap<>(params);
        out.put("threads", Integer.toString(threads));
        return out;
    }

    /**
     * Keys as the plugin spells them: environment variables cannot keep '-', '_' and '.' apart
     * ({@code RILL_BACKEND_PARAMS_MAX_SEQUENCES} arrives as {@code max.sequences} or similar).
     */
    static Map<String, String> declaredSpelling(dev.rill.spi.Plugin plugin, Map<String, String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        given.forEach((key, value) -> {
            String name = plugin.parameters().stream().map(dev.rill.spi.ParamSpec::name)
                    .filter(n -> loose(n).equals(loose(key))).findFirst().orElse(key);
            out.put(name, value);
        });
        return out;
    }

    private static String loose(String key) {
        return key.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    public State state() {
        return state;
    }

    /** Why loading failed, when it did. */
    public String failure() {
        return failure;
    }

    /**
     * The model named {@code name}, or the default model for {@code null}.
     *
     * @throws ApiException 503 while loading, 404 for an unknown name
     */
    public ServedModel get(String name, String param) {
        ready();
        if (name == null || name.isBlank()) return models.get(defaultName);
        ServedModel m = models.get(name);
        if (m == null) {
            throw new ApiException(404, "model_not_found", param, "unknown model '" + name + "'; served: " + String.join(", ", models.keySet()));
        }
        return m;
    }

    public List<ServedModel> all() {
        return state == State.READY ? List.copyOf(models.values()) : List.of();
    }

    public String defaultName() {
        return defaultName;
    }

    public PluginRegistry registry() {
        ready();
        return registry;
    }

    public SamplingSettings sampling() {
        ready();
        return sampling;
    }

    private void ready() {
        switch (state) {
            case LOADING -> throw new ApiException(503, "not_ready", null, "the model is still loading; try again shortly (see /q/health/ready)");
            case FAILED -> throw new ApiException(503, "not_ready", null, "no model could be loaded: " + failure);
            case READY -> {
            }
        }
    }

    /** Whether every scheduler thread is alive. */
    public boolean schedulersAlive() {
        return new ArrayList<>(models.values()).stream().allMatch(m -> m.scheduler().alive());
    }
}
