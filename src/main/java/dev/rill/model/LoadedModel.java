package dev.rill.model;

import dev.rill.spi.ModelWeights;
import dev.rill.spi.Vocabulary;

import java.nio.file.Path;
import java.util.Map;

/**
 * A model ready to serve: its weights for a compute backend, its vocabulary, and facts about it.
 *
 * @param name         how it is called in listings and requests
 * @param source       where it was loaded from
 * @param weights      the description a compute backend prepares
 * @param vocabulary   its tokenizer
 * @param chatTemplate a Jinja chat template, or {@code null} for Rill's plain role-prefixed template
 * @param gpt          the trainable model behind the weights, or {@code null} (e.g. a GGUF file)
 * @param info         facts for listings: architecture, parameters, quantization, context, plugins...
 */
public record LoadedModel(String name, Path source, ModelWeights weights, Vocabulary vocabulary,
                          String chatTemplate, Gpt gpt, Map<String, Object> info) {

    /** The longest context generation may use. */
    public int maxContext() {
        return weights.arch().maxContext();
    }

    /** The context size the model was trained with ({@code T}). */
    public int contextSize() {
        return weights.arch().T();
    }
}
