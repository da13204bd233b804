package dev.rill.generate;

import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.model.LoadedModel;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import dev.rill.train.TinyModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Generation with the KV cache against full recomputation, streaming through the scheduler, stops. */
class GenerationTest {

    @TempDir
    static Path dir;
    static PluginRegistry registry;
    static Checkpoint.Loaded checkpoint;
    static LoadedModel model;

    @BeforeAll
    static void train() throws Exception {
        registry = PluginRegistry.load();
        checkpoint = Checkpoint.load(TinyModels.train(dir, "gen", 30), registry);
        model = checkpoint.toLoadedModel("tiny");
    }

    private static SamplerChain greedy() {
        return SamplerChain.of(registry, List.of("temperature", "dist"), Map.of("temperature", 0));
    }

    @Test
    void everyTokenIsWhatRecomputingOnTheLastTTokensGives() {
        Gpt gpt = checkpoint.model();
        int T = gpt.config.T();
        int V = gpt.config.nVocab();
        try (ForwardPass pass = registry.get(ComputeBackend.class, "cpu").prepare(model.weights(), Params.EMPTY)) {
            int[] prompt = checkpoint.vocabulary().encode("First Citizen:\nBefore we proceed");   // longer than T = 16
            int n = 3 * T;   // well past the point where the window slides
            Sequence seq = new Sequence(model, pass, new GenerationRequest(prompt, n, greedy(), 1L, List.of()));
            List<Integer> all = new ArrayList<>();
            for (int t : prompt) all.add(t);
            float[] logits = new float[V];
            int steps = 0;
            while (!seq.finished()) {
                int[] chunk = seq.nextChunk(7);
                pass.forward(seq.cache(), chunk, 0, chunk.length, logits);
                if (!seq.readyToSample()) continue;
                // The reference: the training model's full forward pass on the last T tokens.
                int[] window = all.subList(Math.max(0, all.size() - T), all.size()).stream().mapToInt(Integer::intValue).toArray();
                gpt.forward(window, null, 1, window.length);
                float[] full = Arrays.copyOfRange(gpt.logits(), (window.length - 1) * V, window.length * V);
                for (int i = 0; i < V; i++) assertEquals(full[i], logits[i], 1e-4f * Math.max(1, Math.abs(full[i])), "logit " + i + " at step " + steps);
                int expected = 0;
                for (int i = 1; i < V; i++) if (full[i] > full[expected]) expected = i;
                GeneratedToken tok = seq.accept(logits).orElseThrow();
                assertEquals(expected, tok.tokenId(), "token at step " + steps);
                all.add(tok.tokenId());
                steps++;
            }
            assertEquals(n, steps);
            assertEquals(FinishReason.LENGTH, seq.result().finishReason());
        }
    }

    @Test
    void theSchedulerStreamsEveryTokenInOrderAndTheSameSeedGivesTheSameTokens() throws Exception {
        try (ForwardPass pass = registry.get(ComputeBackend.class, "cpu").prepare(model.weights(), Params.EMPTY);
             BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(2, 0, 64), null)) {
            int[] prompt = checkpoint.vocabulary().encode("ROMEO:\n");
            SamplerChain chain = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
            BatchSchedulerTest.Recorder first = new BatchSchedulerTest.Recorder(), again = new BatchSchedulerTest.Recorder();
            scheduler.submit(new GenerationRequest(prompt, 40, chain, 7L, List.of()), first);
            scheduler.submit(new GenerationRequest(prompt, 40, chain, 7L, List.of()), again);
            GenerationResult r = first.done.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(40, first.tokens.size());
            for (int i = 0; i < first.tokens.size(); i++) assertEquals(i, first.tokens.get(i).index());
            again.done.get(60, TimeUnit.SECONDS);
            assertEquals(first.tokens, again.tokens, "same seed, same tokens, though both ran in one batch");
        }
    }

    @Test
    void aStopStringSplitAcrossTokensEndsTheTextBeforeIt() {
        try (ForwardPass pass = registry.get(ComputeBackend.class, "cpu").prepare(model.weights(), Params.EMPTY)) {
            Generator generator = new Generator(model, pass);
            int[] prompt = checkpoint.vocabulary().encode("ROMEO:\n");
            GenerationResult free = generator.generateNow(new GenerationRequest(prompt, 60, greedy(), 1L, List.of()), t -> { });
            String text = free.text();
            String stop = text.substring(10, 13);   // three characters = three tokens of the char model
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = generator.generateNow(new GenerationRequest(prompt, 60, greedy(), 1L, List.of(stop)),
                    t -> streamed.append(t.text()));
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(text.substring(0, text.indexOf(stop)), streamed.toString());
            assertEquals(streamed.toString(), r.text());
        }
    }
}
