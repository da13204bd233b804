package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.ModelWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Several choices of one prompt ({@link BatchScheduler#submitAll}): the prompt runs once and its KV
 * cache is copied, and each choice is exactly what generating it alone gives.
 */
class SharedPromptTest {

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

    static int[] prompt(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = r.nextInt(model.vocabulary().size() - 1);
        return p;
    }

    static List<GenerationRequest> choices(int[] prompt, int n) {
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new GenerationRequest(prompt, 20, BatchSchedulerTest.chain(1.0), 50L + i, List.of()));
        return out;
    }

    @Test
    void thePromptRunsOnceAndEveryChoiceIsWhatItWouldBeAlone() throws Exception {
        for (int promptLength : new int[]{1, 9, 100}) {
            int[] prompt = prompt(promptLength, promptLength);
            List<GenerationRequest> requests = choices(prompt, 4);
            AtomicLong prefillRows = new AtomicLong();
            List<BatchSchedulerTest.Recorder> recorders = new ArrayList<>();
            long shared;
            try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(8, 0, 16),
                    (decode, prefill, nanos) -> prefillRows.addAndGet(prefill))) {
                for (int i = 0; i < 4; i++) recorders.add(new BatchSchedulerTest.Recorder());
                scheduler.submitAll(requests, List.copyOf(recorders));
                for (var r : recorders) r.await();
                shared = scheduler.sharedPromptTokens();
            }
            assertEquals(3L * promptLength, shared, "three choices took the prompt over, prompt of " + promptLength);
            if (promptLength > 1) assertEquals(promptLength, prefillRows.get(), "the prompt ran once (prompt and replies fit the window, so nothing re-runs)");
            Generator alone = new Generator(model, pass);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                List<GeneratedToken> want = new ArrayList<>();
                GenerationResult r = alone.generateNow(requests.get(i), want::add);
                assertEquals(want, recorders.get(i).tokens, "choice " + i + " of a prompt of " + promptLength);
                assertEquals(r.text(), recorders.get(i).await().text());
                texts.add(r.text());
            }
            assertNotEquals(texts.get(0), texts.get(1), "different seeds, different choices");
        }
    }

    @Test
    void aBackendThatCannotCopyRunsThePromptForEachChoice() throws Exception {
        ForwardPass noCopy = new ForwardPass() {
            public ModelWeights weights() {
                return pass.weights();
            }

            public KvCache newCache(int capacity) {
                return pass.newCache(capacity);
            }

            public void forward(KvCache cache, int[] tokens, int from, int to, float[] logits) {
                pass.forward(cache, tokens, from, to, logits);
            }
        };
        int[] prompt = prompt(12, 3);
        List<GenerationRequest> requests = choices(prompt, 2);
        List<BatchSchedulerTest.Recorder> recorders = List.of(new BatchSchedulerTest.Recorder(), new BatchSchedulerTest.Recorder());
        try (BatchScheduler scheduler = new BatchScheduler(model, noCopy, new BatchScheduler.Settings(4, 0, 64), null)) {
            scheduler.submitAll(requests, List.copyOf(recorders));
            for (var r : recorders) r.await();
            assertEquals(0, scheduler.sharedPromptTokens());
        }
        List<GeneratedToken> want = new ArrayList<>();
        new Generator(model, pass).generateNow(requests.get(1), want::add);
        assertEquals(want, recorders.get(1).tokens);
    }

    @Test
    void choicesAreAdmittedTogetherOrRefusedTogether() {
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(2, 1, 64), null)) {
            int[] prompt = prompt(5, 1);
            List<BatchScheduler.Listener> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) four.add(new BatchSchedulerTest.Recorder());
            assertThrows(OverloadedException.class, () -> scheduler.submitAll(choices(prompt, 4), four));
            assertEquals(0, scheduler.queued() + scheduler.active());
            assertThrows(IllegalArgumentException.class, () -> scheduler.submitAll(
                    List.of(choices(prompt, 1).getFirst(), choices(prompt(5, 2), 1).getFirst()), four.subList(0, 2)));
        }
    }
}
