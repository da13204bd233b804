package dev.rill.spi;

/**
 * Runs whole forward passes of a loaded model. {@link #prepare} receives the model's description and
 * weights once, so that a backend can keep weights, activations and the KV cache where it computes
 * (the CPU's memory, or an accelerator's) and only move token ids in and logits out per step.
 */
public interface ComputeBackend extends Plugin {

    /** Whether this backend can run here, and if not, why. */
    default Availability availability() {
        return Availability.AVAILABLE;
    }

    /**
     * Prepares a model for inference.
     *
     * @throws IllegalArgumentException when the model uses something this backend does not support
     */
    ForwardPass prepare(ModelWeights weights, Params params);

    /** @param reason why not, when not available */
    record Availability(boolean available, String reason) {
        public static final Availability AVAILABLE = new Availability(true, "");

        public static Availability unavailable(String reason) {
            return new Availability(false, reason);
        }
    }
}
