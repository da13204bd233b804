package dev.rill.backend.cpu;

import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

import java.util.List;

/**
 * The default backend: forward passes on the CPU with the Java Vector API. Each prepared model has
 * its own pool of compute threads ({@code threads}), so models served side by side do not resize
 * each other's.
 */
public final class CpuBackend implements ComputeBackend {

    public static final String NAME = "cpu";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "CPU, Java Vector API (" + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors), "
                + Parallel.defaultThreads() + " threads by default";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.integer("threads", 0, 0, 4096,
                "compute threads of this model, the calling thread included; 0 = -Drill.threads or every core"));
    }

    @Override
    public ForwardPass prepare(ModelWeights weights, Params params) {
        int threads = params(params == null ? null : params.asMap()).getInt("threads");
        return new CpuForwardPass(weights, new Parallel(threads > 0 ? threads : Parallel.defaultThreads()));
    }
}
