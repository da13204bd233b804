package dev.rill.plugin;

import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ModelFamily;
import dev.rill.spi.Plugin;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Sampler;
import dev.rill.spi.Tokenizer;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the providers of every plugin family with {@link ServiceLoader}: those on the class path,
 * and those in jars of an optional plugin folder (each jar with its own class loader whose parent
 * is the SPI's). Resolves names; fails clearly on unknown and duplicate names.
 */
public final class PluginRegistry {

    /** The plugin families, in the order they are listed. */
    public static final List<Class<? extends Plugin>> FAMILIES =
            List.of(Tokenizer.class, PositionalEncoding.class, Sampler.class, ComputeBackend.class, ModelFamily.class);

    private final Path pluginDir;
    private final Map<Class<? extends Plugin>, Map<String, Plugin>> byFamily = new LinkedHashMap<>();
    private final Map<Plugin, String> sources = new java.util.IdentityHashMap<>();

    private PluginRegistry(Path pluginDir) {
        this.pluginDir = pluginDir;
    }

    /** The providers on the class path alone. */
    public static PluginRegistry load() {
        return load(null);
    }

    /**
     * The providers on the class path and in the jars of {@code pluginDir} (may be {@code null}).
     *
     * @throws PluginException on two providers with one name, a missing folder or a broken plugin jar
     */
    public static PluginRegistry load(Path pluginDir) {
        PluginRegistry registry = new PluginRegistry(pluginDir);
        List<ClassLoader> jarLoaders = new ArrayList<>();
        List<Path> jars = new ArrayList<>();
        if (pluginDir != null) {
            if (!Files.isDirectory(pluginDir)) {
                throw new PluginException("plugin folder " + pluginDir.toAbsolutePath() + " does not exist or is not a folder");
            }
            try (Stream<Path> files = Files.list(pluginDir)) {
                files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().forEach(jars::add);
            } catch (IOException e) {
                throw new PluginException("cannot list plugin folder " + pluginDir.toAbsolutePath() + ": " + e.getMessage());
            }
            for (Path jar : jars) {
                try {
                    jarLoaders.add(new URLClassLoader("rill-plugin:" + jar.getFileName(), new URL[]{jar.toUri().toURL()},
                            Plugin.class.getClassLoader()));
                } catch (MalformedURLException e) {
                    throw new PluginException("bad plugin jar path " + jar + ": " + e.getMessage());
                }
            }
        }
        for (Class<? extends Plugin> family : FAMILIES) {
            registry.byFamily.put(family, new LinkedHashMap<>());
            registry.discover(family, family.getClassLoader(), null);
            for (int i = 0; i < jarLoaders.size(); i++) registry.discover(family, jarLoaders.get(i), jars.get(i));
        }
        return registry;
    }

    private <T extends Plugin> void discover(Class<T> family, ClassLoader loader, Path jar) {
        ServiceLoader<T> serviceLoader = ServiceLoader.load(family, loader);
        try {
            for (ServiceLoader.Provider<T> provider : (Iterable<ServiceLoader.Provider<T>>) serviceLoader.stream()::iterator) {
                // A jar's loader also sees the class path; take only what the jar itself defines.
                if (jar != null && provider.type().getClassLoader() != loader) continue;
                T plugin = provider.get();
                String source = jar != null ? jar.toAbsolutePath().toString() : sourceOf(provider.type());
                register(family, plugin, source);
            }
        } catch (ServiceConfigurationError e) {
            throw new PluginException("cannot load " + family.getSimpleName() + " plugins"
                    + (jar != null ? " from " + jar.toAbsolutePath() : "") + ": " + e.getMessage(), e);
        }
    }

    private void register(Class<? extends Plugin> family, Plugin plugin, String source) {
        Map<String, Plugin> plugins = byFamily.get(family);
        Plugin existing = plugins.get(plugin.name());
        if (existing != null) {
            throw new PluginException("two " + familyName(family) + " plugins are named '" + plugin.name() + "': "
                    + existing.getClass().getName() + " in " + sources.get(existing) + " and "
                    + plugin.getClass().getName() + " in " + source + "; remove one of them");
        }
        plugins.put(plugin.name(), plugin);
        sources.put(plugin, source);
    }

    private static String sourceOf(Class<?> type) {
        var domain = type.getProtectionDomain();
        var code = domain == null ? null : domain.getCodeSource();
        return code == null || code.getLocation() == null ? "the class path" : code.getLocation().toString();
    }

    /** The provider named {@code name} in {@code family}. */
    public <T extends Plugin> T get(Class<T> family, String name) {
        Plugin plugin = byFamily.getOrDefault(family, Map.of()).get(name);
        if (plugin == null) {
            throw new PluginException("unknown " + familyName(family) + " '" + name + "'; available: "
                    + String.join(", ", names(family))
                    + (pluginDir != null ? " (class path and plugin folder " + pluginDir.toAbsolutePath() + ")"
                    : " (class path only; no plugin folder configured)"));
        }
        return family.cast(plugin);
    }

    /** Every provider of {@code family}, sorted by name. */
    public <T extends Plugin> List<T> all(Class<T> family) {
        return byFamily.getOrDefault(family, Map.of()).values().stream()
                .sorted(Comparator.comparing(Plugin::name)).map(family::cast).collect(Collectors.toUnmodifiableList());
    }

    public List<String> names(Class<? extends Plugin> family) {
        return all(family).stream().map(Plugin::name).toList();
    }

    /** Where a provider was found: a jar path or a class-path location. */
    public String source(Plugin plugin) {
        return sources.getOrDefault(plugin, "unknown");
    }

    public Path pluginDir() {
        return pluginDir;
    }

    /** Lower-case family name for messages, e.g. "positional encoding". */
    public static String familyName(Class<? extends Plugin> family) {
        return switch (family.getSimpleName()) {
            case "PositionalEncoding" -> "positional encoding";
            case "ComputeBackend" -> "compute backend";
            case "ModelFamily" -> "model family";
            default -> family.getSimpleName().toLowerCase(java.util.Locale.ROOT);
        };
    }

    public Map<Class<? extends Plugin>, List<Plugin>> families() {
        Map<Class<? extends Plugin>, List<Plugin>> out = new LinkedHashMap<>();
        for (Class<? extends Plugin> f : FAMILIES) out.put(f, Collections.unmodifiableList(new ArrayList<>(all(f))));
        return out;
    }
}
