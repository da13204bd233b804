package dev.rill.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rill bench kernels} prints a row per weight type and refuses bad options in one line (no timing asserted). */
class BenchKernelsCommandTest {

    @Test
    void printsARowPerType() {
        CliRun run = CliRun.of("bench", "kernels", "--types", "q8_0,Q4_0", "--shape", "64x256", "--memory-mb", "1", "--prompt-rows", "8", "--seconds", "0.05");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("64x256, 1 thread; plain read of memory"), run.out());
        assertTrue(run.out().contains("cache Gw/s"), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("Q8_0 ")), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("Q4_0 ")), run.out());
    }

    @Test
    void badOptionsEndWithOneClearLine() {
        CliRun run = CliRun.of("bench", "kernels", "--shape", "2048");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("--shape: expected ROWSxCOLS such as 2048x2048, got '2048'"), run.err());
        run = CliRun.of("bench", "kernels", "--types", "Q9_9");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("--types: unknown type 'Q9_9'; accepted: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K"), run.err());
        run = CliRun.of("bench", "kernels", "--types", "Q4_K", "--shape", "64x100", "--memory-mb", "1", "--seconds", "0.05");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("100 columns is not a multiple of 256"), run.err());
    }
}
