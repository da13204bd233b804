package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ForwardPass;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch scheduler against the engine's one-at-a-time generator, and its admission, cancellation and fairness. */
class BatchSchedulerTest {

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

    /** Collects what a listener sees; {@code done} completes with the result (or fails). */
    static final class Recorder implements BatchScheduler.Listener {
        final List<GeneratedToken> tokens = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        volatile int started = -1;
        final List<String> log;
        final String name;
        /** When set, onStart waits for it: holds the scheduler thread so that later submissions are admitted together. */
        CountDownLatch hold;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        Recorder() {
            this("", null);
        }

        @Override
        public void onStart(int promptTokens) {
            started = promptTokens;
            if (log != null) log.add(name + ":start");
            if (hold != null) {
                try {
                    hold.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onToken(GeneratedToken token) {
            tokens.add(token);
            if (log != null) log.add(name + ":token");
        }

        @Override
        public void onDone(GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(RuntimeException error) {
            done.completeExceptionally(error);
        }

        GenerationResult await() throws Exception {
            return done.get(120, TimeUnit.SECONDS);
        }

        void awaitTokens(int n) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (tokens.size() < n && !done.isDone() && System.nanoTime() < end) Thread.sleep(2);
        }
    }

    static SamplerChain chain(double temperature) {
        return SamplerChain.of(TinyModel.REGISTRY, List.of("temperature", "dist"), Map.of("temperature", temperature));
    }

    static int[] prompt(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = r.nextInt(model.vocabulary().size() - 1);
        return p;
    }

    @Test
    void batchedGenerationsAreExactlyThoseOfTheOneAtATimeGenerator() throws Exception {
        // Prompts of 1 to 200 tokens (longer than T = 128: cropped), replies that slide the window, greedy and sampled.
        int[][] prompts = {prompt(1, 1), prompt(5, 2), prompt(40, 3), prompt(200, 4), prompt(20, 5)};
        int[] maxTokens = {10, 150, 30, 20, 60};
        double[] temperatures = {1.0, 0.9, 0.0, 1.2, 1.0};
        List<Integer> decodeBatches = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger prefillWhileDecoding = new AtomicInteger();
        BatchScheduler.Observer observer = (decode, prefill, nanos) -> {
            decodeBatches.add(decode);
            if (decode > 0) prefillWhileDecoding.accumulateAndGet(prefill, Math::max);
        };
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            requests.add(new GenerationRequest(prompts[i], maxTokens[i], chain(temperatures[i]), 100L + i, List.of()));
        }
        List<Recorder> recorders = new ArrayList<>();
        CountDownLatch allSubmitted = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(3, 10, 8), observer)) {
            for (GenerationRequest r : requests) {
                Recorder rec = new Recorder();
                if (recorders.isEmpty()) rec.hold = allSubmitted;   // the first three start together, whatever the test thread's pace
                recorders.add(rec);
                scheduler.submit(r, rec);
            }
            allSubmitted.countDown();
            for (Recorder rec : recorders) rec.await();
        }
        try (ForwardPass reference = TinyModel.prepare(model)) {
            Generator generator = new Generator(model, reference);
            for (int i = 0; i < requests.size(); i++) {
                List<GeneratedToken> expected = new ArrayList<>();
                GenerationResult want = generator.generateNow(requests.get(i), expected::add);
                GenerationResult got = recorders.get(i).await();
                assertEquals(expected, recorders.get(i).tokens, "tokens of request " + i);
                assertEquals(want.text(), got.text(), "text of request " + i);
                assertEquals(want.finishReason(), got.finishReason());
                assertEquals(want.completionTokens(), got.completionTokens());
                assertEquals(Math.min(prompts[i].length, TinyModel.T), recorders.get(i).started, "prompt tokens of request " + i);
            }
        }
        int most = decodeBatches.stream().mapToInt(Integer::intValue).max().orElse(0);
        assertEquals(3, most, "decode steps batch up to max-concurrent sequences, never more");
        assertTrue(prefillWhileDecoding.get() <= 8, "at most prefill-chunk prompt tokens run beside a decode step, got " + prefillWhileDecoding.get());
    }

    @Test
    void aLongPromptIsChunkedBetweenTheDecodeStepsOfOthers() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(2, 0, 8), null)) {
            Recorder a = new Recorder("a", log);
            a.hold = new CountDownLatch(1);
            BatchScheduler.Job ja = scheduler.submit(new GenerationRequest(prompt(1, 7), 100_000, chain(1.0), 1L, List.of()), a);
            Recorder b = new Recorder("b", log);
            scheduler.submit(new GenerationRequest(prompt(TinyModel.T, 8), 5, chain(1.0), 2L, List.of()), b);
            a.hold.countDown();
            b.await();
            ja.cancel();
            a.await();
        }
        // The log is in the scheduler's own order: count a's tokens while b's 128-token prompt ran (16 chunks of 8,
        // one per step, each step also decoding a's next token).
        List<String> events = List.copyOf(log);
        int from = events.indexOf("b:start"), to = events.indexOf("b:token");
        long aTokens = events.subList(from, to).stream().filter("a:token"::equals).count();
        assertEquals(16, aTokens, "a must keep streaming while b's prompt runs in chunks; it got " + aTokens + " tokens meanwhile");
    }

    @Test
    void cancelStopsAGenerationWithinOneStepAndComputesNothingMore() throws Exception {
        AtomicLong rows = new AtomicLong();
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(1, 5, 8),
                (decode, prefill, nanos) -> rows.addAndGet(decode + prefill))) {
            Recorder running = new Recorder();
            BatchScheduler.Job job = scheduler.submit(new GenerationRequest(prompt(10, 9), 100_000, chain(1.0), 3L, List.of()), running);
            Recorder queued = new Recorder();
            BatchScheduler.Job waiting = scheduler.submit(new GenerationRequest(prompt(10, 10), 100_000, chain(1.0), 4L, List.of()), queued);
            running.awaitTokens(5);
            assertEquals(1, scheduler.active());
            assertEquals(1, scheduler.queued());
            waiting.cancel();
            GenerationResult q = queued.await();
            assertEquals(FinishReason.CANCELLED, q.finishReason());
            assertEquals(-1, queued.started, "a generation cancelled while waiting never starts");
            assertEquals(0, q.completionTokens());
            job.cancel();
            GenerationResult r = running.await();
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.completionTokens() < 100_000);
            assertEquals(r.completionTokens(), running.tokens.size());
            long after = rows.get();
            Thread.sleep(300);
            assertEquals(after, rows.get(), "no token is computed after a cancelled generation ends");
            assertEquals(0, scheduler.active());
            assertEquals(0, scheduler.queued());
        }
    }

    @Test
    void refusesBeyondTheQueueAndAdmitsAgainOnceASlotFrees() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(1, 1, 8), null)) {
            Recorder a = new Recorder(), b = new Recorder();
            BatchScheduler.Job ja = scheduler.submit(new GenerationRequest(prompt(3, 11), 100_000, chain(1.0), 5L, List.of()), a);
            BatchScheduler.Job jb = scheduler.submit(new GenerationRequest(prompt(3, 12), 100_000, chain(1.0), 6L, List.of()), b);
            OverloadedException e = assertThrows(OverloadedException.class,
                    () -> scheduler.submit(new GenerationRequest(prompt(3, 13), 5, chain(1.0), 7L, List.of()), new Recorder()));
            assertTrue(e.getMessage().contains("overloaded"), e.getMessage());
            ja.cancel();
            a.await();
            b.awaitTokens(1);
            Recorder c = new Recorder();
            scheduler.submit(new GenerationRequest(prompt(3, 14), 5, chain(1.0), 8L, List.of()), c);
            jb.cancel();
            assertEquals(FinishReason.LENGTH, c.await().finishReason());
            assertEquals(5, c.tokens.size());
        }
    }

    @Test
    void aFailingRequestFailsAloneAndOthersFinish() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, pass, new BatchScheduler.Settings(2, 2, 8), null)) {
            Recorder good = new Recorder(), bad = new Recorder();
            scheduler.submit(new GenerationRequest(prompt(4, 15), 40, chain(1.0), 9L, List.of()), good);
            scheduler.submit(new GenerationRequest(new int[]{1, model.vocabulary().size() + 5}, 10, chain(1.0), 10L, List.of()), bad);
            Exception failure = assertThrows(Exception.class, bad::await);
            assertInstanceOf(IllegalArgumentException.class, failure.getCause());
            assertTrue(failure.getCause().getMessage().contains("outside the vocabulary"), failure.getCause().getMessage());
            GenerationResult r = good.await();
            assertEquals(40, r.completionTokens());
            assertFalse(scheduler.active() > 0);
        }
    }
}
