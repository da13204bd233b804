package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/** {@code --sampler} and {@code --sampling-param}: the sampler chain that picks each token, and its parameters. */
final class SamplingOptions {

    @Option(names = "--sampler", split = ",", paramLabel = "NAME",
            description = "Sampler chain, in order, e.g. top-k,temperature,dist (default: logit-bias,penalties,top-k,typical,top-p,min-p,temperature,dist).")
    List<String> chain;
    @Option(names = "--sampling-param", paramLabel = "K=V",
            description = "A sampler parameter (repeatable), e.g. temperature=0.7 or top_k=40 (default: each sampler's; `rill plugins` lists them).")
    List<String> params;

    List<String> chain() {
        return chain != null ? chain : SamplerChain.DEFAULT;
    }

    /** The given parameters; the caller may add its own shortcuts (e.g. --temperature). */
    Map<String, Object> given() {
        return KeyValues.parse(params, "--sampling-param");
    }

    SamplerChain samplers(PluginRegistry registry, Map<String, Object> params) {
        return SamplerChain.of(registry, chain(), params);
    }
}
