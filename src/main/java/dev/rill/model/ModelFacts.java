package dev.rill.model;

/**
 * What listings say about a loaded model.
 *
 * @param architecture  {@code gpt} for Rill's checkpoints, or the GGUF file's {@code general.architecture}
 * @param parameters    number of weights
 * @param quantization  the type holding most of the weights, e.g. {@code F32} or {@code Q8_0}
 * @param contextSize   the context the model was trained with ({@code T})
 * @param maxContext    the longest context this load allows
 * @param nLayer        transformer blocks
 * @param nHead         query heads
 * @param nKvHead       key/value heads
 * @param nEmb          embedding width
 * @param nVocab        vocabulary size
 * @param tokenizer     the tokenizer's name
 * @param positional    the positional encoding's name
 * @param chatTemplate  the chat template's name, or {@code null} for Rill's plain format
 * @param fileBytes     size of the model file, or {@code null} for a checkpoint folder
 */
public record ModelFacts(String architecture, long parameters, String quantization, int contextSize, int maxContext,
                         int nLayer, int nHead, int nKvHead, int nEmb, int nVocab, String tokenizer, String positional,
                         String chatTemplate, Long fileBytes) {
}
