package dev.rill.train;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Training runs as jobs: at most {@code concurrent} run at once (one by default: training takes every
 * core it is given), up to {@code queueSize} wait their turn, and each keeps its progress so that a
 * client that comes later, or comes back, sees where it stands. Jobs run on their own threads and
 * do not depend on any client staying connected. Every event goes to the listeners, in order per job.
 */
public final class TrainingJobs implements AutoCloseable {

    /** Where a job stands. */
    public enum State { QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED;

        public boolean finished() {
            return this == COMPLETED || this == FAILED || this == CANCELLED;
        }
    }

    /** A job cannot be queued: the queue is full. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(String message) {
            super(message);
        }
    }

    /**
     * Called when a checkpoint has been written, before the event goes out; returns the name the
     * model is served under (or {@code null} when it is not served).
     */
    @FunctionalInterface
    public interface Publisher {
        String checkpointWritten(Job job, int step, Path dir) throws Exception;
    }

    private static final long PROGRESS_INTERVAL_NANOS = 250_000_000L;
    private static final int MAX_TRAIN_POINTS = 2000, MAX_SAMPLES = 20;

    private final PluginRegistry registry;
    private final ComputeBackend sampleBackend;
    private final int concurrent, queueSize, threads;
    private final Publisher publisher;
    private final ExecutorService runners;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final List<Consumer<TrainingEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();

    /**
     * @param concurrent    jobs that run at once (≥ 1)
     * @param queueSize     jobs that may wait beyond those (≥ 0)
     * @param threads       compute threads of each job (its own pool, so serving keeps its own)
     * @param sampleBackend what writes the jobs' text samples
     */
    public TrainingJobs(PluginRegistry registry, int concurrent, int queueSize, int threads, ComputeBackend sampleBackend,
                        Publisher publisher) {
        if (concurrent < 1) throw new IllegalArgumentException("concurrent training jobs must be ≥ 1 (got " + concurrent + ")");
        if (queueSize < 0) throw new IllegalArgumentException("the training queue size must be ≥ 0 (got " + queueSize + ")");
        if (threads < 1) throw new IllegalArgumentException("training threads must be ≥ 1 (got " + threads + ")");
        this.registry = registry;
        this.threads = threads;
        this.sampleBackend = sampleBackend;
        this.concurrent = concurrent;
        this.queueSize = queueSize;
        this.publisher = publisher;
        this.runners = Executors.newFixedThreadPool(concurrent, Thread.ofPlatform().name("rill-train-", 1).daemon().factory());
    }

    /** Receives every event of every job from now on. */
    public Runnable subscribe(Consumer<TrainingEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Queues a run; it starts when a runner is free.
     *
     * @param name the job's model name (its checkpoint folder is {@code config.out()})
     * @throws QueueFullException when {@code queueSize} jobs already wait
     */
    public synchronized Job submit(String name, TrainConfig config) {
        long unfinished = jobs.values().stream().filter(j -> !j.state.finished()).count();
        if (unfinished >= concurrent + queueSize) {
            throw new QueueFullException((unfinished - Math.min(unfinished, concurrent)) + " training jobs already wait besides the "
                    + Math.min(unfinished, concurrent) + " running (queue size " + queueSize + "); cancel one or try again when one has finished");
        }
        Job job = new Job("train-" + ids.incrementAndGet(), name, config);
        jobs.put(job.id, job);
        emit(new TrainingEvent.State(job.id, State.QUEUED, null));
        runners.execute(() -> run(job));
        return job;
    }

    public synchronized Optional<Job> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** Every job, oldest first. */
    public synchronized List<Job> all() {
        return List.copyOf(jobs.values());
    }

    /** Whether a job that is not finished uses this model name. */
    public synchronized boolean nameInUse(String name) {
        return jobs.values().stream().anyMatch(j -> j.name.equals(name) && !j.state().finished());
    }

    /**
     * Cancels a job: a queued one never starts; a running one stops before its next step (its last
     * checkpoint stays). Returns false when it had already finished.
     */
    public boolean cancel(String id) {
        Job job;
        synchronized (this) {
            job = jobs.get(id);
            if (job == null || job.state.finished()) return false;
            job.cancelRequested = true;
            if (job.state == State.QUEUED) {
                job.finish(State.CANCELLED, null);
                emit(new TrainingEvent.State(job.id, State.CANCELLED, null));
                return true;
            }
        }
        Trainer t = job.trainer;
        if (t != null) t.cancel();
        return true;
    }

    private void run(Job job) {
        Trainer trainer;
        synchronized (this) {
            if (job.state != State.QUEUED) return;   // cancelled while it waited
            trainer = new Trainer(registry, new Reporter(job), sampleBackend, threads);
            job.trainer = trainer;
            job.state = State.RUNNING;
            job.started = Instant.now();
        }
        emit(new TrainingEvent.State(job.id, State.RUNNING, null));
        if (job.cancelRequested) trainer.cancel();
        State end;
        String error = null;
        try {
            Trainer.Result r = trainer.train(job.config);
            end = r.cancelled() ? State.CANCELLED : State.COMPLETED;
        } catch (Exception | OutOfMemoryError e) {
            end = State.FAILED;
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof OutOfMemoryError) error = "out of memory: choose a smaller model, batch or context";
        }
        synchronized (this) {
            job.finish(end, error);
            job.trainer = null;
        }
        emit(new TrainingEvent.State(job.id, end, error));
    }

    private void emit(TrainingEvent event) {
        for (Consumer<TrainingEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException ignored) {
                // A listener that fails (a closed connection) must not stop the job or the others.
            }
        }
    }

    /** Turns the trainer's callbacks into the job's state and events. */
    private final class Reporter implements TrainingListener {
        private final Job job;
        private long lastProgress;

        Reporter(Job job) {
            this.job = job;
        }

        @Override
        public void started(Start s) {
            synchronized (job) {
                job.parameters = s.parameters();
                job.steps = s.steps();
            }
        }

        @Override
        public void stepped(Step s) {
            double eta = s.elapsedSeconds() / Math.max(1, s.step() - job.firstStep()) * (s.steps() - s.step());
            var p = new TrainingEvent.Progress(job.id, s.step(), s.steps(), s.loss(), s.learningRate(), s.tokensPerSecond(),
                    s.elapsedSeconds(), eta);
            synchronized (job) {
                job.progress = p;
                job.addTrainPoint(s.step(), s.loss());
            }
            long now = System.nanoTime();
            if (now - lastProgress >= PROGRESS_INTERVAL_NANOS || s.step() == s.steps()) {
                lastProgress = now;
                emit(p);
            }
        }

        @Override
        public void evaluated(int step, double trainLoss, double valLoss) {
            synchronized (job) {
                job.val.add(new LossPlot.Point(step, valLoss));
            }
            emit(new TrainingEvent.Evaluation(job.id, step, trainLoss, valLoss));
        }

        @Override
        public void sampled(int step, String text) {
            var e = new TrainingEvent.Sample(job.id, step, text);
            synchronized (job) {
                job.samples.add(e);
                if (job.samples.size() > MAX_SAMPLES) job.samples.removeFirst();
            }
            emit(e);
        }

        @Override
        public void checkpointed(int step, Path dir) {
            String model = null;
            try {
                model = publisher == null ? null : publisher.checkpointWritten(job, step, dir);
            } catch (Exception e) {
                // The checkpoint is on disk; only serving it failed. Say so without stopping the run.
                emit(new TrainingEvent.Sample(job.id, step, "(checkpoint written but not served: " + e.getMessage() + ")"));
            }
            synchronized (job) {
                job.checkpointStep = step;
                if (model != null) job.model = model;
            }
            emit(new TrainingEvent.Checkpoint(job.id, step, model));
        }
    }

    /** One training run and what it has reported so far. */
    public static final class Job {
        private final String id, name;
        private final TrainConfig config;
        private final Instant created = Instant.now();
        private volatile State state = State.QUEUED;
        private volatile boolean cancelRequested;
        private volatile Trainer trainer;
        private Instant started, finished;
        private String error, model;
        private long parameters;
        private int steps, checkpointStep, firstStep = -1;
        private TrainingEvent.Progress progress;
        private final List<LossPlot.Point> train = new ArrayList<>(), val = new ArrayList<>();
        private int trainStride = 1;
        private final List<TrainingEvent.Sample> samples = new ArrayList<>();

        Job(String id, String name, TrainConfig config) {
            this.id = id;
            this.name = name;
            this.config = config;
        }

        public String id() {
            return id;
        }

        /** The name its model is served under. */
        public String name() {
            return name;
        }

        public TrainConfig config() {
            return config;
        }

        public State state() {
            return state;
        }

        /** A consistent copy of what the job has reported. */
        public synchronized Snapshot snapshot() {
            return new Snapshot(id, name, state, created, started, finished, error, model, parameters, steps, checkpointStep,
                    progress, List.copyOf(train), List.copyOf(val), List.copyOf(samples));
        }

        private int firstStep() {
            return Math.max(0, firstStep);
        }

        /** Keeps at most {@link #MAX_TRAIN_POINTS} points of the training curve, thinning evenly as the run grows. */
        private void addTrainPoint(int step, double loss) {
            if (firstStep < 0) firstStep = step - 1;
            if (step % trainStride != 0 && step != steps) return;
            train.add(new LossPlot.Point(step, loss));
            if (train.size() > MAX_TRAIN_POINTS) {
                trainStride *= 2;
                int stride = trainStride;
                train.removeIf(p -> p.step() % stride != 0);
            }
        }

        private synchronized void finish(State end, String why) {
            state = end;
            error = why;
            finished = Instant.now();
        }
    }

    /** A job as clients see it. */
    public record Snapshot(String id, String name, State state, Instant created, Instant started, Instant finished, String error,
                           String model, long parameters, int steps, int checkpointStep, TrainingEvent.Progress progress,
                           List<LossPlot.Point> train, List<LossPlot.Point> val, List<TrainingEvent.Sample> samples) {
    }

    /** Cancels every job and stops the runners (waiting briefly for the running ones to reach a step boundary). */
    @Override
    public void close() {
        for (Job j : all()) cancel(j.id);
        runners.shutdown();
        try {
            runners.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
