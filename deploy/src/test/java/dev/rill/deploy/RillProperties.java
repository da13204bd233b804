package dev.rill.deploy;

import dev.rill.server.config.RillConfig;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.utils.StringUtil;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The server's {@code rill.*} properties as SmallRye Config (Quarkus's configuration) knows them from
 * the {@link RillConfig} mapping, in the environment-variable form a ConfigMap uses.
 */
final class RillProperties {

    /** Exact environment names, e.g. {@code RILL_GENERATION_MAX_CONCURRENT}. */
    private final Set<String> names = new TreeSet<>();
    /** Prefixes of map properties, e.g. {@code RILL_MODELS_} for {@code rill.models.*}. */
    private final Set<String> mapPrefixes = new TreeSet<>();

    private static final RillProperties INSTANCE = new RillProperties();

    static RillProperties get() {
        return INSTANCE;
    }

    private RillProperties() {
        var configClass = ConfigMappings.ConfigClass.configClass(RillConfig.class, "rill");
        for (String property : ConfigMappings.getProperties(configClass).keySet()) {
            if (property.contains("[*]")) continue;   // the indexed form of a list property
            if (property.endsWith(".*")) mapPrefixes.add(env(property.substring(0, property.length() - 1)));
            else names.add(env(property));
        }
        if (names.size() < 5) throw new IllegalStateException("the RillConfig mapping has only " + names + ": not what these checks expect");
    }

    /** SmallRye Config's own spelling of a property as an environment variable. */
    static String env(String property) {
        return StringUtil.replaceNonAlphanumericByUnderscores(property).toUpperCase(Locale.ROOT);
    }

    /** Whether {@code envName} sets one of the server's properties. */
    boolean isProperty(String envName) {
        if (names.contains(envName)) return true;
        for (String prefix : mapPrefixes) {
            if (envName.startsWith(prefix) && envName.length() > prefix.length()) return true;
        }
        return false;
    }

    String describe() {
        return names + " and maps " + mapPrefixes.stream().map(p -> p + "<KEY>").toList();
    }

    /**
     * The server's configuration as it would read these environment variables: converts every value,
     * so a value of the wrong type fails here as it would at start-up.
     */
    static RillConfig read(Map<String, String> env) {
        // Quarkus reads durations as "30s" as well as ISO-8601, and sizes as "32M"; plain SmallRye neither.
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(RillConfig.class)
                .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withConverter(io.quarkus.runtime.configuration.MemorySize.class, 200, new io.quarkus.runtime.configuration.MemorySizeConverter())
                .withSources(new EnvConfigSource(env, 300)).build();
        return config.getConfigMapping(RillConfig.class);
    }
}
