package dev.rill.model;

import dev.rill.spi.ModelWeights;
import dev.rill.spi.Vocabulary;
import dev.rill.template.ChatTemplate;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * A model ready to serve: its weights for a compute backend, its vocabulary, and facts about it.
 *
 * @param name          how it is called in listings and requests
 * @param source        where it was loaded from
 * @param weights       the description a compute backend prepares
 * @param vocabulary    its tokenizer
 * @param chatTemplate  its Jinja chat template, or {@code null} for Rill's plain role-prefixed template
 * @param info          facts for listings: architecture, parameters, quantization, context, plugins...
 * @param promptEncoder turns a rendered prompt into token ids (special tokens, BOS as the model wants)
 * @param resources     what to close when the model is dropped (a memory-mapped file), or {@code null}
 */
public record LoadedModel(String name, Path source, ModelWeights weights, Vocabulary vocabulary,
                          ChatTemplate chatTemplate, ModelFacts info,
                          Function<String, int[]> promptEncoder, AutoCloseable resources) implements AutoCloseable {

    /** The longest context generation may use. */
    public int maxContext() {
        return weights.arch().maxContext();
    }

    /** The context size the model was trained with ({@code T}). */
    public int contextSize() {
        return weights.arch().T();
    }

    /** Token ids of a prompt. */
    public int[] encodePrompt(String prompt) {
        return promptEncoder != null ? promptEncoder.apply(prompt) : vocabulary.encode(prompt);
    }

    @Override
    public void close() throws Exception {
        if (resources != null) resources.close();
    }
}
