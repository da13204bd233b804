package dev.rill.cli;

import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.LoadedModel;
import dev.rill.model.Models;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rill generate}: continue a prompt, printing each token the moment it is sampled. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continue a prompt with a model, printing tokens as they are sampled, then tokens/s.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"--checkpoint", "--model"}, paramLabel = "PATH", description = "Checkpoint folder, .gguf file or bundled:NAME (default: the bundled model).")
    String model;
    @Option(names = "--prompt", defaultValue = "\n", description = "Text to continue (default: a newline).")
    String prompt;
    @Option(names = "--max-tokens", defaultValue = "200") int maxTokens;
    @Option(names = "--seed", description = "Seed of the sampler's random source (default: random).") Long seed;
    @Option(names = "--temperature", description = "Softmax temperature; 0 is greedy.") Double temperature;
    @Option(names = "--sampler", split = ",", paramLabel = "NAME", description = "Sampler chain, e.g. top-k,temperature,dist.")
    List<String> chain;
    @Option(names = "--sampling-param", paramLabel = "K=V", description = "A sampler parameter (repeatable).")
    List<String> samplingParams;
    @Option(names = "--backend", defaultValue = "cpu", description = "Compute backend (default: ${DEFAULT-VALUE}).")
    String backend;
    @Option(names = "--plugins", paramLabel = "DIR", description = "Also load plugin jars from this folder.")
    Path pluginDir;

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = PluginRegistry.load(pluginDir);
        ComputeBackend compute = registry.get(ComputeBackend.class, backend);
        if (!compute.availability().available()) {
            throw new IllegalStateException("compute backend '" + backend + "' is unavailable: " + compute.availability().reason());
        }
        long t0 = System.nanoTime();
        LoadedModel loaded = Models.load(model, null, registry);
        Map<String, Object> params = KeyValues.parse(samplingParams, "--sampling-param");
        if (temperature != null) params.put("temperature", temperature);
        SamplerChain samplers = SamplerChain.of(registry, chain == null ? SamplerChain.DEFAULT : chain, params);
        int[] tokens = loaded.encodePrompt(prompt);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (ForwardPass pass = compute.prepare(loaded.weights(), compute.params(Map.of()))) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            out.print(prompt);
            GenerationResult r = new Generator(loaded, pass).generateNow(
                    new GenerationRequest(tokens, maxTokens, samplers, seed, List.of()), t -> {
                        out.print(t.text());
                        out.flush();
                    });
            out.println();
            System.err.printf(Locale.ROOT, "--- %d tokens (%s), %.1f tokens/s, first token after %.0f ms, model loaded in %.0f ms%n",
                    r.completionTokens(), r.finishReason().wire(), r.tokensPerSecond(), r.ttftMillis(), loadMs);
        }
        return 0;
    }
}
