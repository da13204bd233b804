package dev.rill.server.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.Map;

/**
 * {@code POST /api/train}: what to train on and how. Only {@code data} is required; the rest has the
 * defaults of {@code rill train}. With {@code base} (a served Rill model) the tokenizer, positional
 * encoding and sizes are the base model's and those fields are refused.
 */
@Schema(name = "TrainRequest")
public record TrainRequest(
        @Schema(description = "the model name to serve the result under (default: job-N)") String name,
        @Schema(description = "a file of the data folder or an upload (GET /api/train/files lists them)", required = true) String data,
        @Schema(description = "the data is JSONL conversations; the loss counts assistant tokens only") Boolean sft,
        @Schema(description = "a served Rill model to start from (its tokenizer, architecture and weights)") String base,
        String tokenizer,
        @JsonProperty("vocab_size") Integer vocabSize,
        @JsonProperty("tokenizer_params") Map<String, Object> tokenizerParams,
        String positional,
        @JsonProperty("positional_params") Map<String, Object> positionalParams,
        @JsonProperty("n_layer") Integer nLayer,
        @JsonProperty("n_head") Integer nHead,
        @JsonProperty("n_emb") Integer nEmb,
        Integer context,
        @JsonProperty("max_context") Integer maxContext,
        Integer batch,
        Integer steps,
        @JsonProperty("learning_rate") Double learningRate,
        @JsonProperty("min_learning_rate") Double minLearningRate,
        Integer warmup,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("eval_interval") Integer evalInterval,
        @JsonProperty("eval_batches") Integer evalBatches,
        @JsonProperty("sample_interval") Integer sampleInterval,
        @JsonProperty("sample_tokens") Integer sampleTokens,
        @JsonProperty("checkpoint_interval") Integer checkpointInterval,
        Long seed,
        @JsonProperty("val_fraction") Double valFraction) {
}
