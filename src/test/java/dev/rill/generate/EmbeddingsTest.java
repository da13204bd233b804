package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Linear;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embeddings: the hidden states are what the output layer reads (checked against the logits), their mean is scaled to unit length. */
class EmbeddingsTest {

    static LoadedModel model;
    static ForwardPass pass;

    @BeforeAll
    static void load() {
        model = TinyModel.load();
        pass = TinyModel.prepare(model);
    }

    @AfterAll
    static void close() {
        pass.close();
    }

    @Test
    void theHiddenStateIsWhatTheOutputLayerTurnsIntoTheLogits() {
        int[] tokens = model.vocabulary().encode("Good morrow");
        int nEmb = model.weights().arch().nEmb(), nVocab = model.weights().arch().nVocab();
        float[] logits = new float[nVocab];
        try (KvCache c = pass.newCache(tokens.length)) {
            pass.forward(c, tokens, 0, tokens.length, logits);
        }
        // Hidden states of the prefix minus that of the prefix without its last token: the last token's own.
        float[] all = new float[nEmb], allButLast = new float[nEmb];
        try (KvCache c = pass.newCache(tokens.length)) {
            assertTrue(pass.hiddenStates(c, tokens, 0, tokens.length, all));
        }
        try (KvCache c = pass.newCache(tokens.length)) {
            pass.hiddenStates(c, tokens, 0, tokens.length - 1, allButLast);
        }
        Linear out = model.weights().output();
        float[] w = out.weight().toFloats();
        for (int j = 0; j < nVocab; j++) {
            double z = 0;
            for (int c = 0; c < nEmb; c++) {
                double h = all[c] - allButLast[c];
                z += h * (out.layout() == Linear.Layout.OUT_IN ? w[j * nEmb + c] : w[c * nVocab + j]);
            }
            if (out.bias() != null) z += out.bias().toFloats()[j];
            assertEquals(logits[j], z, 2e-3 * (1 + Math.abs(logits[j])), "logit " + j);
        }
    }

    @Test
    void theEmbeddingIsTheUnitMeanAndDoesNotDependOnChunks() {
        int[] tokens = new int[TinyModel.T];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7) % (model.vocabulary().size() - 1);
        float[] e = Embeddings.embed(model, pass, tokens);
        double norm = 0;
        for (float v : e) norm += v * v;
        assertEquals(1.0, norm, 1e-5);
        float[] sum = new float[e.length];
        try (KvCache c = pass.newCache(tokens.length)) {
            pass.hiddenStates(c, tokens, 0, 50, sum);
            pass.hiddenStates(c, tokens, 50, tokens.length, sum);
        }
        double s = 0;
        for (float v : sum) s += v * v;
        float[] want = new float[e.length];
        for (int i = 0; i < e.length; i++) want[i] = (float) (sum[i] / Math.sqrt(s));
        assertArrayEquals(want, e, 1e-5f);
        var tooLong = assertThrows(IllegalArgumentException.class, () -> Embeddings.embed(model, pass, new int[TinyModel.T + 1]));
        assertTrue(tooLong.getMessage().contains("reads at most " + TinyModel.T), tooLong.getMessage());
    }
}
