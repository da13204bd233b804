package dev.rill.generate;

/**
 * How a generation went.
 *
 * @param finishReason     why it ended
 * @param promptTokens     prompt tokens after cropping
 * @param completionTokens tokens sampled
 * @param text             the whole generated text (stop string excluded)
 * @param ttftMillis       time from start to the first token
 * @param tokensPerSecond  sampled tokens per second after the first
 */
public record GenerationResult(FinishReason finishReason, int promptTokens, int completionTokens, String text,
                               double ttftMillis, double tokensPerSecond) {
}
