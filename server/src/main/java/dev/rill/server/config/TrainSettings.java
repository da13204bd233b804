package dev.rill.server.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.OptionalInt;

/** Training jobs in the server: {@code rill.train.*} (environment: {@code RILL_TRAIN_MAX_CONCURRENT}, ...). */
public interface TrainSettings {

    /** Jobs that train at once; the others wait in the queue. */
    @WithDefault("1")
    int maxConcurrent();

    /** Jobs that may wait; beyond that {@code POST /api/train} is refused with 429. */
    @WithDefault("4")
    int queueSize();

    /** The folder whose files a job may name as its data ({@code "data": "tinyshakespeare.txt"}); nothing outside it. */
    @WithDefault("data")
    Path dataDir();

    /** Where jobs write their checkpoints (one folder per model name) and where uploads are kept ({@code uploads/}). */
    @WithDefault("runs/server")
    Path outDir();

    /** The largest upload ({@code POST /api/train/files}); larger ones get 413. */
    @WithDefault("32M")
    MemorySize maxUploadSize();

    /**
     * Compute threads of a training job, a pool of its own (default: half the cores, at least one,
     * so that chat keeps a share of the machine while a job trains).
     */
    OptionalInt threads();

    /** The most steps a job may ask for. */
    @WithDefault("200000")
    int maxSteps();
}
