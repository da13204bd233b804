package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs many generations on one model at once, continuous-batching style, on one thread that alone
 * touches the {@link ForwardPass}. Each iteration:
 * <ol>
 *   <li>drops cancelled generations (their KV cache is freed at once, nothing more is computed),</li>
 *   <li>admits waiting requests while fewer than {@code maxConcurrent} run,</li>
 *   <li>runs the next token of <em>every</em> sequence that has exactly one token pending in a single
 *       {@link ForwardPass#decode} call (one pass over the weights serves them all),</li>
 *   <li>runs at most {@code prefillChunk} tokens of prompts (or of a re-run window once a sequence's
 *       context slides), round-robin over the sequences that have several pending, so that a long
 *       prompt delays other streams by one chunk per token, never by the whole prompt.</li>
 * </ol>
 * Beyond {@code maxConcurrent} running and {@code queueSize} waiting, {@link #submit} refuses with
 * {@link OverloadedException}. Listeners are called on the scheduler thread and must not block.
 */
public final class BatchScheduler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BatchScheduler.class.getName());
    /** When nothing is decoding, a prompt may take bigger bites: there is no stream to keep fluent. */
    private static final int IDLE_PREFILL = 256;

    /**
     * @param maxConcurrent generations running at once (each with its own KV cache)
     * @param queueSize     generations waiting beyond those; more are refused
     * @param prefillChunk  prompt tokens run per iteration while other sequences decode
     */
    public record Settings(int maxConcurrent, int queueSize, int prefillChunk) {
        public Settings {
            if (maxConcurrent < 1) throw new IllegalArgumentException("max-concurrent must be ≥ 1 (got " + maxConcurrent + ")");
            if (queueSize < 0) throw new IllegalArgumentException("queue-size must be ≥ 0 (got " + queueSize + ")");
            if (prefillChunk < 1) throw new IllegalArgumentException("prefill-chunk must be ≥ 1 (got " + prefillChunk + ")");
        }
    }

    /** What a generation reports, on the scheduler thread, in this order: start, tokens, then done or error. */
    public interface Listener {
        /** The generation left the queue; its prompt (cropped to the context) has {@code promptTokens} tokens. */
        default void onStart(int promptTokens) {
        }

        /** One sampled token, the moment it is sampled. */
        void onToken(GeneratedToken token);

        /** The generation ended (stop, length or cancelled). */
        void onDone(GenerationResult result);

        /** The generation failed (e.g. a sampler rejected this vocabulary). */
        void onError(RuntimeException error);
    }

    /** Sees every iteration, for metrics. */
    public interface Observer {
        Observer NONE = (decodeRows, prefillRows, nanos) -> {
        };

        void onStep(int decodeRows, int prefillRows, long nanos);
    }

    /** A submitted generation; {@link #cancel} ends it within one token, waiting or running. */
    public final class Job {
        private final GenerationRequest request;
        private final Listener listener;
        private volatile boolean cancelled;
        private volatile Sequence sequence;
        private float[] logits;
        /** For a choice after the first of {@link #submitAll}: the first, whose prompt it takes over. */
        private final Job leader;
        /** Whether it still waits for its leader to run the shared prompt. */
        private boolean awaitingLeader;

        private Job(GenerationRequest request, Listener listener, Job leader) {
            this.request = request;
            this.listener = listener;
            this.leader = leader;
            this.awaitingLeader = leader != null;
        }

        public void cancel() {
            cancelled = true;
            Sequence s = sequence;
            if (s != null) s.cancel();
            LockSupport.unpark(thread);
        }

        public boolean cancelled() {
            return cancelled;
        }
    }

    private final LoadedModel model;
    private final ForwardPass pass;
    private final Settings settings;
    private final Observer observer;
    private final int nVocab;
    private final ConcurrentLinkedQueue<Job> waiting = new ConcurrentLinkedQueue<>();
    /** Waiting plus running: what admission control counts. */
    private final AtomicInteger inSystem = new AtomicInteger();
    private final List<Job> running = new ArrayList<>();
    private volatile int runningCount;
    private volatile boolean open = true;
    private int rotation;
    private final Thread thread;

    public BatchScheduler(LoadedModel model, ForwardPass pass, Settings settings, Observer observer) {
        this.model = model;
        this.pass = pass;
        this.settings = settings;
        this.observer = observer == null ? Observer.NONE : observer;
        this.nVocab = model.weights().arch().nVocab();
        this.thread = Thread.ofPlatform().daemon().name("rill-scheduler-" + model.name()).unstarted(this::loop);
        thread.start();
    }

    public LoadedModel model() {
        return model;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Queues a generation.
     *
     * @throws OverloadedException when {@code maxConcurrent + queueSize} generations are already in
     * @throws IllegalStateException when the scheduler is closed
     */
    public Job submit(GenerationRequest request, Listener listener) {
        if (!open) throw new IllegalStateException("the scheduler of model '" + model.name() + "' is shut down");
        if (inSystem.incrementAndGet() > settings.maxConcurrent() + settings.queueSize()) {
            inSystem.decrementAndGet();
            throw new OverloadedException(settings.maxConcurrent(), settings.queueSize());
        }
        Job job = new Job(request, listener, null);
        waiting.add(job);
        LockSupport.unpark(thread);
        return job;
    }

    /**
     * Queues several generations of one prompt (a request's {@code n} choices): the prompt runs once,
     * for the first, and its KV cache is copied to the others ({@link ForwardPass#copyCache}), which
     * then sample on their own. Admitted or refused together. A backend that cannot copy caches, or a
     * choice admitted after the first has moved on, runs the prompt itself.
     *
     * @throws OverloadedException when they do not all fit
     * @throws IllegalArgumentException when the prompts differ
     */
    public List<Job> submitAll(List<GenerationRequest> requests, List<Listener> listeners) {
        if (requests.isEmpty() || requests.size() != listeners.size()) throw new IllegalArgumentException("one listener per request");
        for (GenerationRequest r : requests) {
            if (!java.util.Arrays.equals(r.prompt(), requests.getFirst().prompt())) {
                throw new IllegalArgumentException("the generations of one submission share their prompt");
            }
        }
        if (!open) throw new IllegalStateException("the scheduler of model '" + model.name() + "' is shut down");
        int n = requests.size();
        if (inSystem.addAndGet(n) > settings.maxConcurrent() + settings.queueSize()) {
            inSystem.addAndGet(-n);
            throw new OverloadedException(settings.maxConcurrent(), settings.queueSize());
        }
        List<Job> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) jobs.add(new Job(requests.get(i), listeners.get(i), i == 0 ? null : jobs.getFirst()));
        waiting.addAll(jobs);
        LockSupport.unpark(thread);
        return jobs;
    }

    /**
     * Runs {@code task} with the model's forward pass on the scheduler's thread, between two steps
     * (the pass is not thread-safe): for work besides generations, such as embeddings.
     */
    public <T> CompletableFuture<T> call(Function<ForwardPass, T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (!open) {
            result.completeExceptionally(new IllegalStateException("the scheduler of model '" + model.name() + "' is shut down"));
            return result;
        }
        tasks.add(() -> {
            try {
                result.complete(task.apply(pass));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        LockSupport.unpark(thread);
        return result;
    }

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    /** Generations running now. */
    public int active() {
        return runningCount;
    }

    /** Generations waiting for a slot. */
    public int queued() {
        return Math.max(0, inSystem.get() - runningCount);
    }

    /** Whether the scheduler thread is alive (for the liveness probe). */
    public boolean alive() {
        return thread.isAlive();
    }

    private void loop() {
        while (open) {
            try {
                for (Runnable task; (task = tasks.poll()) != null; ) task.run();
                dropCancelledWaiting();
                admit();
                if (running.isEmpty()) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(200));
                    continue;
                }
                step();
            } catch (Throwable t) {
                // A bug must not stop every stream forever: fail what runs, keep serving.
                LOG.log(Level.SEVERE, "scheduler iteration failed", t);
                RuntimeException e = t instanceof RuntimeException r ? r : new IllegalStateException(t);
                for (Job job : List.copyOf(running)) fail(job, e);
            }
        }
        IllegalStateException closed = new IllegalStateException("the server is shutting down");
        for (Job job : List.copyOf(running)) fail(job, closed);
        for (Job job; (job = waiting.poll()) != null; ) {
            inSystem.decrementAndGet();
            notifyError(job, closed);
        }
    }

    private void dropCancelledWaiting() {
        waiting.removeIf(job -> {
            if (!job.cancelled) return false;
            inSystem.decrementAndGet();
            notifyDone(job, new GenerationResult(FinishReason.CANCELLED, 0, 0, "", 0, 0));
            return true;
        });
    }

    private void admit() {
        while (running.size() < settings.maxConcurrent()) {
            Job job = waiting.poll();
            if (job == null) return;
            if (job.cancelled) {
                inSystem.decrementAndGet();
                notifyDone(job, new GenerationResult(FinishReason.CANCELLED, 0, 0, "", 0, 0));
                continue;
            }
            Sequence sequence;
            try {
                sequence = new Sequence(model, pass, job.request);
            } catch (RuntimeException | OutOfMemoryError e) {
                inSystem.decrementAndGet();
                notifyError(job, e instanceof RuntimeException r ? r : outOfMemory("a new generation's KV cache", (OutOfMemoryError) e));
                continue;
            }
            job.sequence = sequence;
            if (job.cancelled) sequence.cancel();
            job.logits = new float[nVocab];
            running.add(job);
            runningCount = running.size();
            try {
                job.listener.onStart(sequence.promptTokens());
            } catch (RuntimeException e) {
                listenerFailed(job, e);
            }
        }
    }

    private void step() {
        long t0 = System.nanoTime();
        // Cancelled sequences stop here, before any more compute.
        for (Job job : List.copyOf(running)) {
            if (job.cancelled) {
                job.sequence.abort();
                complete(job);
            }
        }
        List<Job> decode = new ArrayList<>();
        List<Job> prefill = new ArrayList<>();
        for (Job job : running) {
            if (waitsForLeader(job)) continue;
            int pending = job.sequence.pending();
            if (pending == 1) decode.add(job);
            else if (pending > 1) prefill.add(job);
        }
        if (!decode.isEmpty()) decode(decode);
        int prefillRows = prefill.isEmpty() ? 0 : prefill(prefill, decode.isEmpty() ? Math.max(IDLE_PREFILL, settings.prefillChunk()) : settings.prefillChunk());
        // Account the step's compute before reporting any generation done, so that "done" means "nothing more to count".
        observer.onStep(decode.size(), prefillRows, System.nanoTime() - t0);
        for (Job job : List.copyOf(running)) {
            if (job.sequence.finished()) complete(job);
        }
    }

    private void decode(List<Job> all) {
        List<Job> jobs = new ArrayList<>(all.size());
        for (Job job : all) if (reserve(job, 1)) jobs.add(job);
        if (jobs.isEmpty()) return;
        int n = jobs.size();
        KvCache[] caches = new KvCache[n];
        int[] tokens = new int[n];
        float[][] logits = new float[n][];
        for (int i = 0; i < n; i++) {
            Job job = jobs.get(i);
            caches[i] = job.sequence.cache();
            tokens[i] = job.sequence.nextChunk(1)[0];
            logits[i] = job.logits;
        }
        try {
            pass.decode(caches, tokens, logits);
        } catch (RuntimeException e) {
            for (Job job : jobs) fail(job, e);
            return;
        }
        for (Job job : jobs) sample(job);
    }

    /** Runs up to {@code budget} pending tokens, round-robin from a rotating start; returns the rows run. */
    private int prefill(List<Job> jobs, int budget) {
        int rows = 0;
        int start = Math.floorMod(rotation++, jobs.size());
        for (int k = 0; k < jobs.size() && budget > 0; k++) {
            Job job = jobs.get((start + k) % jobs.size());
            int[] chunk = job.sequence.nextChunk(budget);
            if (!reserve(job, chunk.length)) continue;
            budget -= chunk.length;
            rows += chunk.length;
            try {
                pass.forward(job.sequence.cache(), chunk, 0, chunk.length, job.logits);
            } catch (RuntimeException e) {
                fail(job, e);
                continue;
            }
            if (job.sequence.readyToSample()) sample(job);
        }
        return rows;
    }

    /**
     * Makes room in {@code job}'s KV cache for its next {@code tokens} positions before they run, so
     * that memory running out fails that generation alone, not the batch it would run in.
     */
    private boolean reserve(Job job, int tokens) {
        KvCache cache = job.sequence.cache();
        int positions = cache.length() + tokens;
        try {
            cache.reserve(positions);
            return true;
        } catch (RuntimeException e) {
            fail(job, e);
        } catch (OutOfMemoryError e) {
            fail(job, outOfMemory("a KV cache of " + positions + " positions", e));
        }
        return false;
    }

    private IllegalStateException outOfMemory(String what, OutOfMemoryError e) {
        return new IllegalStateException("out of memory for " + what + " of model '" + model.name()
                + "'; other generations go on. Fewer concurrent generations (rill.generation.max-concurrent) or more memory for the JVM"
                + " (RILL_MAX_RAM_PERCENT, -Xmx) make room", e);
    }

    /** Whether a later choice should wait for its leader's prompt rather than run it again. */
    private boolean waitsForLeader(Job job) {
        if (!job.awaitingLeader) return false;
        Sequence lead = job.leader.sequence;
        boolean leaderRunsPrompt = lead != null && running.contains(job.leader) && !lead.finished() && lead.generated() == 0;
        if (!leaderRunsPrompt) job.awaitingLeader = false;   // from now on it runs its own prompt
        return job.awaitingLeader;
    }

    /** The leader's prompt has just run (its cache holds exactly the prompt): the waiting choices copy it. */
    private void shareThePrompt(Job leader) {
        for (Job job : List.copyOf(running)) {
            if (job.leader != leader || !job.awaitingLeader) continue;
            job.awaitingLeader = false;
            if (!reserve(job, leader.sequence.cache().length())) continue;
            try {
                if (!pass.copyCache(leader.sequence.cache(), job.sequence.cache())) continue;
                job.sequence.adoptPrompt(leader.sequence);
            } catch (RuntimeException e) {
                fail(job, e);
                continue;
            }
            System.arraycopy(leader.logits, 0, job.logits, 0, nVocab);
            sharedPromptTokens += leader.sequence.promptTokens();
            sample(job);
        }
    }

    /** Prompt tokens that choices took over instead of running them (for tests and metrics). */
    private volatile long sharedPromptTokens;

    public long sharedPromptTokens() {
        return sharedPromptTokens;
    }

    private void sample(Job job) {
        if (job.leader == null && job.sequence.generated() == 0 && job.sequence.readyToSample()) shareThePrompt(job);
        Optional<GeneratedToken> token;
        try {
            token = job.sequence.accept(job.logits);
        } catch (RuntimeException e) {
            fail(job, e);
            return;
        }
        if (token.isPresent()) {
            try {
                job.listener.onToken(token.get());
            } catch (RuntimeException e) {
                listenerFailed(job, e);
            }
        }
    }

    private void complete(Job job) {
        if (!running.remove(job)) return;
        runningCount = running.size();
        inSystem.decrementAndGet();
        notifyDone(job, job.sequence.result());
    }

    private void fail(Job job, RuntimeException error) {
        if (!running.remove(job)) return;
        job.sequence.abort();
        runningCount = running.size();
        inSystem.decrementAndGet();
        notifyError(job, error);
    }

    private void listenerFailed(Job job, RuntimeException e) {
        // The receiver is gone (e.g. the connection closed): stop generating for it.
        LOG.log(Level.FINE, "listener failed; cancelling its generation", e);
        job.cancel();
    }

    private static void notifyDone(Job job, GenerationResult result) {
        try {
            job.listener.onDone(result);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "listener failed on done", e);
        }
    }

    private static void notifyError(Job job, RuntimeException error) {
        try {
            job.listener.onError(error);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "listener failed on error", e);
        }
    }

    /** Stops the thread; running and waiting generations end with an error. */
    @Override
    public void close() {
        open = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
