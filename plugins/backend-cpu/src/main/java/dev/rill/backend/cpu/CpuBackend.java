package dev.rill.backend.cpu;

import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Params;
import dev.rill.tensor.Parallel;

/** The default backend: forward passes on the CPU with the Java Vector API, all cores. */
public final class CpuBackend implements ComputeBackend {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "CPU, Java Vector API (" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize()
                + "-bit vectors), " + Parallel.threads() + " threads";
    }

    @Override
    public ForwardPass prepare(ModelWeights weights, Params params) {
        return new CpuForwardPass(weights);
    }
}
