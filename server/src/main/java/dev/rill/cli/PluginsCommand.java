package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Plugin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.Map;

/** {@code rill plugins}: every family with its providers, descriptions and parameters. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the plugins of every family with their descriptions and parameters.")
final class PluginsCommand implements Runnable {

    @Mixin
    PluginOptions plugins;

    @Override
    public void run() {
        PluginRegistry registry = plugins.registry();
        for (Map.Entry<Class<? extends Plugin>, List<Plugin>> family : registry.families().entrySet()) {
            String name = PluginRegistry.familyName(family.getKey());
            System.out.println((name.endsWith("y") ? name.substring(0, name.length() - 1) + "ies" : name + "s") + ":");
            for (Plugin p : family.getValue()) {
                String availability = "";
                if (p instanceof ComputeBackend b && !b.availability().available()) {
                    availability = "  [unavailable: " + b.availability().reason() + "]";
                }
                System.out.printf("  %-14s %s%s%n", p.name(), p.description(), availability);
                if (registry.pluginDir() != null && registry.source(p).endsWith(".jar")
                        && registry.source(p).startsWith(registry.pluginDir().toAbsolutePath().toString())) {
                    System.out.printf("  %-14s from %s%n", "", registry.source(p));
                }
                for (ParamSpec s : p.parameters()) {
                    System.out.printf("  %-14s   %s = %s  %s; %s%n", "", s.name(), s.defaultValue(), s.range(), s.description());
                }
            }
            System.out.println();
        }
    }
}
