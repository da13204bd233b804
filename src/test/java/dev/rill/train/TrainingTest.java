package dev.rill.train;

import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training as the seed describes it, with the real plugins: init loss, overfitting, determinism, resume, round trips. */
class TrainingTest {

    @TempDir
    Path dir;
    final PluginRegistry registry = PluginRegistry.load();

    private Gpt model(int nVocab, int T, long seed) {
        PositionalEncoding learned = registry.get(PositionalEncoding.class, "learned");
        GptConfig c = new GptConfig(nVocab, T, 2, 2, 32, T, "learned", Map.of());
        Gpt gpt = new Gpt(c, learned.create(Gpt.shape(c), Params.EMPTY));
        gpt.initialize(seed);
        return gpt;
    }

    private int[] shakespeareTokens(Vocabulary[] vocabOut) throws Exception {
        String text = Files.readString(TinyModels.SHAKESPEARE).substring(0, 50_000);
        Tokenizer chars = registry.get(Tokenizer.class, "char");
        Vocabulary v = chars.train(text, Params.EMPTY);
        vocabOut[0] = v;
        return v.encode(text);
    }

    @Test
    void lossAtInitialisationIsCloseToLnVocab() throws Exception {
        Vocabulary[] v = new Vocabulary[1];
        int[] tokens = shakespeareTokens(v);
        int B = 8, T = 32;
        Gpt gpt = model(v[0].size(), T, 1);
        int[] x = new int[B * T], y = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(tokens, b * 1000, x, b * T, T);
            System.arraycopy(tokens, b * 1000 + 1, y, b * T, T);
        }
        double loss = gpt.forward(x, y, B, T);
        assertEquals(Math.log(v[0].size()), loss, 0.15, "initial loss vs ln(nVocab)");
    }

    @Test
    void oneFixedBatchOverfits() throws Exception {
        Vocabulary[] v = new Vocabulary[1];
        int[] tokens = shakespeareTokens(v);
        int B = 4, T = 32;
        Gpt gpt = model(v[0].size(), T, 2);
        int[] x = new int[B * T], y = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(tokens, b * 500, x, b * T, T);
            System.arraycopy(tokens, b * 500 + 1, y, b * T, T);
        }
        AdamW adam = new AdamW(gpt, 0.9, 0.99, 1e-8, 0.0);
        double loss = Double.NaN;
        for (int step = 1; step <= 400 && !(loss < 0.1); step++) {
            gpt.zeroGrad();
            loss = gpt.forward(x, y, B, T);
            gpt.backward();
            adam.step(gpt.params, gpt.grads, 3e-3, step);
        }
        assertTrue(loss < 0.1, "loss after overfitting one batch: " + loss);
    }

    @Test
    void aResumedRunContinuesWithTheSameLossSequence() throws Exception {
        Path data = TinyModels.text(dir, 20_000);
        List<Double> uninterrupted = losses(TinyModels.config(data, dir.resolve("a"), 16, 8), Integer.MAX_VALUE);
        TrainConfig config = TinyModels.config(data, dir.resolve("b"), 16, 8);
        // Crash after step 10: the checkpoint of step 8 is the last good one.
        assertThrows(IllegalStateException.class, () -> losses(config, 10));
        List<Double> resumed = new ArrayList<>();
        new Trainer(registry, new TrainingListener() {
            @Override
            public void stepped(Step s) {
                resumed.add(s.loss());
            }
        }).resume(dir.resolve("b"));
        assertEquals(uninterrupted.subList(8, 16), resumed, "steps 9..16 after resuming from step 8");
        assertEquals(16, uninterrupted.size());
        assertTrue(uninterrupted.getLast() < uninterrupted.getFirst(), "the loss went down: " + uninterrupted);
    }

    private List<Double> losses(TrainConfig config, int crashAfter) throws Exception {
        List<Double> out = new ArrayList<>();
        new Trainer(registry, new TrainingListener() {
            @Override
            public void stepped(Step s) {
                out.add(s.loss());
                if (s.step() == crashAfter) throw new IllegalStateException("simulated crash");
            }
        }).train(config);
        return out;
    }

    @Test
    void saveThenLoadGivesIdenticalLogits() throws Exception {
        Path ckpt = TinyModels.train(dir, "ckpt", 6);
        Checkpoint.Loaded a = Checkpoint.load(ckpt, registry);
        Path copy = dir.resolve("copy");
        Checkpoint.save(copy, a.model(), a.vocabulary(), "char-vocab.json", null);
        Checkpoint.Loaded b = Checkpoint.load(copy, registry);
        int[] x = a.vocabulary().encode("ROMEO:\nWhat ligh");   // 16 tokens = T
        a.model().forward(x, null, 1, x.length);
        b.model().forward(x, null, 1, x.length);
        assertArrayEquals(a.model().logits(), b.model().logits());
        assertArrayEquals(a.model().params, b.model().params);
        assertEquals(a.model().config, b.model().config);
        assertTrue(Files.isRegularFile(ckpt.resolve("loss.svg")) && Files.readString(ckpt.resolve("loss.svg")).startsWith("<svg"));
    }
}
