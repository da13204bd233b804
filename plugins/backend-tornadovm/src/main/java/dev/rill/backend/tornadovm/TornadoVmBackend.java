package dev.rill.backend.tornadovm;

import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;

import java.util.List;

/**
 * Whole forward passes on an accelerator through TornadoVM (OpenCL or PTX): weights go to the
 * device once, activations and the KV cache stay there, and each step moves only the token and
 * position in and the logits out. Sampling stays on the CPU.
 *
 * <p>This class touches no TornadoVM type itself, so it loads (and reports why it is unavailable)
 * on a JVM started without TornadoVM's module path.
 */
public final class TornadoVmBackend implements ComputeBackend {

    static final String NAME = "tornadovm";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "accelerator through TornadoVM (OpenCL, PTX): weights in F32/F16/Q8_0/Q4_0 and KV caches on the device, batched decode and prefill";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(
                ParamSpec.string("device", "", "TornadoVM device as backend:device, e.g. 0:1 (see `tornado --devices`); empty = TornadoVM's default"),
                ParamSpec.integer("max-sequences", 4, 1, 4096, "sequences that can hold a KV cache on the device at once (a batched decode step runs them all in one pass)"),
                ParamSpec.integer("prefill-rows", 64, 1, 4096, "prompt tokens run in one pass on the device (longer prompts run in several)"),
                ParamSpec.integer("chunk-mib", 256, 0, 1 << 20, "weights and KV cache per task graph, in MiB: the upload's chunk (fewer graphs wait less for the device per pass; 0 = one block each)"),
                ParamSpec.integer("context", 0, 0, 1 << 24, "positions per sequence on the device; 0 = the model's longest context"),
                ParamSpec.bool("fast-math", false, "let the OpenCL compiler relax IEEE maths (faster exp/tanh, results drift from the cpu backend)"));
    }

    @Override
    public Availability availability() {
        return DeviceProbe.availability();
    }

    /**
     * @throws IllegalStateException when TornadoVM or a device is missing (never a silent fallback to the CPU)
     */
    @Override
    public ForwardPass prepare(ModelWeights weights, Params params) {
        Availability availability = availability();
        if (!availability.available()) {
            throw new IllegalStateException("compute backend '" + NAME + "' is unavailable: " + availability.reason());
        }
        Params resolved = params(params == null ? null : params.asMap());
        return TornadoForwardPass.create(weights, new Settings(resolved.getString("device"), resolved.getInt("max-sequences"),
                resolved.getInt("prefill-rows"), resolved.getInt("chunk-mib"), resolved.getInt("context"), resolved.getBool("fast-math")));
    }

    /** The backend's parameters, checked. */
    record Settings(String device, int maxSequences, int prefillRows, int chunkMib, int context, boolean fastMath) {
    }
}
