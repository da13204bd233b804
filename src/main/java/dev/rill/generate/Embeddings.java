package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;

/**
 * Embeddings of a model that was trained to predict the next token: the mean, over the input's
 * positions, of the model's last hidden states (after the final norm, what its output layer reads),
 * scaled to unit length. Like llama.cpp's mean pooling; how well such vectors capture meaning depends
 * on the model (dedicated embedding models are trained for it).
 */
public final class Embeddings {

    /** Tokens run per pass. */
    private static final int CHUNK = 256;

    private Embeddings() {
    }

    /**
     * @throws IllegalArgumentException for no tokens or more than the model's context
     * @throws UnsupportedOperationException when the backend cannot give hidden states
     */
    public static float[] embed(LoadedModel model, ForwardPass pass, int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("the input encodes to no tokens");
        if (tokens.length > model.maxContext()) {
            throw new IllegalArgumentException("the input has " + tokens.length + " tokens; model '" + model.name() + "' reads at most "
                    + model.maxContext());
        }
        int nEmb = model.weights().arch().nEmb();
        float[] sum = new float[nEmb];
        try (KvCache cache = pass.newCache(tokens.length)) {
            for (int from = 0; from < tokens.length; from += CHUNK) {
                if (!pass.hiddenStates(cache, tokens, from, Math.min(tokens.length, from + CHUNK), sum)) {
                    throw new UnsupportedOperationException("the compute backend of model '" + model.name() + "' cannot give hidden states, so no embeddings");
                }
            }
        }
        double norm = 0;
        for (float v : sum) norm += (double) v * v;
        norm = Math.sqrt(norm);
        float[] out = new float[nEmb];
        // The mean's direction is the sum's: dividing by the count first would not change the unit vector.
        for (int i = 0; i < nEmb; i++) out[i] = norm == 0 ? 0f : (float) (sum[i] / norm);
        return out;
    }
}
