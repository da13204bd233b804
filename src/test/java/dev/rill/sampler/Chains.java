package dev.rill.sampler;

import dev.rill.plugin.PluginRegistry;

/** The registry the chain tests resolve the samplers plugin through. */
final class Chains {

    static final PluginRegistry REGISTRY = PluginRegistry.load();

    private Chains() {
    }
}
