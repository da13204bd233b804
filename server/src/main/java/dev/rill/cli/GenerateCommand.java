package dev.rill.cli;

import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.LoadedModel;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rill generate}: continue a prompt, printing each token the moment it is sampled. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continue a prompt with a model, printing tokens as they are sampled, then tokens/s.")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;
    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "\n", showDefaultValue = CommandLine.Help.Visibility.NEVER,
            description = "Text to continue (default: a newline).")
    String prompt;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "200", description = "Tokens to generate at most.")
    int maxTokens;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampler's random draws (default: a random seed).")
    Long seed;
    @Option(names = "--temperature", paramLabel = "X", description = "Softmax temperature, same as --sampling-param temperature=X; 0 is greedy (default: the temperature sampler's, 0.8).")
    Double temperature;
    @Mixin
    SamplingOptions sampling;
    @Mixin
    BackendOptions backend;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = plugins.registry();
        ComputeBackend compute = backend.backend(registry);
        Params backendParams = backend.params(compute);
        Map<String, Object> params = sampling.given();
        if (temperature != null) {
            if (params.containsKey("temperature")) throw new IllegalArgumentException("--temperature and --sampling-param temperature=... both set the temperature; give one");
            params.put("temperature", temperature);
        }
        SamplerChain samplers = sampling.samplers(registry, params);
        long t0 = System.nanoTime();
        LoadedModel loaded = model.load(registry);
        int[] tokens = loaded.encodePrompt(prompt);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (ForwardPass pass = compute.prepare(loaded.weights(), backendParams)) {
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
