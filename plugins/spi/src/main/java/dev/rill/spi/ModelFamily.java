package dev.rill.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model family: maps a model file's metadata and tensor names ({@link ModelFile}, GGUF's
 * conventions) to the description a compute backend runs. One class per family (llama, qwen2,
 * qwen3, gemma2, gemma3, phi3, ...), found with {@link java.util.ServiceLoader} like every plugin;
 * the loader picks it by the file's {@code general.architecture}.
 */
public interface ModelFamily extends Plugin {

    /** The {@code general.architecture} values this family reads. */
    Set<String> architectures();

    /**
     * Describes the model in {@code file}.
     *
     * @param maxContext the longest context the caller wants (≤ 0: the model's own)
     * @throws ModelFileException when the file lacks what the family needs or asks for what it does not support
     */
    Description describe(ModelFile file, int maxContext);

    /**
     * A positional encoding by plugin name and parameters; the loader resolves it through its registry.
     */
    record Positional(String name, Map<String, Object> params) {
        public Positional {
            params = Map.copyOf(params);
        }
    }

    /**
     * What a family makes of a file: {@link ModelWeights} less its positional encoders, which are
     * named instead ({@code positional} for the model, {@code blockPositional} per block, {@code null}
     * entries meaning the model's).
     */
    record Description(Architecture arch, Positional positional, List<Positional> blockPositional, Tensor tokenEmbedding,
                       List<ModelWeights.Block> blocks, ModelWeights.NormWeights finalNorm, Linear output) {
    }
}
