package dev.rill.backend.tornadovm;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Params;

import java.util.Map;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the device tests share: the two backends, the skip rule and the logits comparison. */
final class DeviceTests {

    private static final Logger LOG = Logger.getLogger(DeviceTests.class.getName());

    /** FP32 agreement asked of the device: ‖device − cpu‖∞ ≤ 1e-4 · ‖cpu‖∞ at every step. */
    static final double TOLERANCE = 1e-4;

    static final PluginRegistry REGISTRY = PluginRegistry.load();

    private DeviceTests() {
    }

    /** The tornadovm backend, or the test is skipped (not passed) with the reason logged. */
    static ComputeBackend tornadoOrSkip() {
        ComputeBackend backend = REGISTRY.get(ComputeBackend.class, TornadoVmBackend.NAME);
        ComputeBackend.Availability availability = backend.availability();
        if (!availability.available()) LOG.warning("tornadovm device tests skipped: " + availability.reason());
        assumeTrue(availability.available(), () -> "tornadovm unavailable: " + availability.reason());
        return backend;
    }

    static ForwardPass cpu(ModelWeights w) {
        return REGISTRY.get(ComputeBackend.class, "cpu").prepare(w, Params.EMPTY);
    }

    /** The backend on TornadoVM's default device, or on {@code -Drill.tornadovm.device=B:D} (the GPU check picks the GPU so). */
    static ForwardPass tornado(ComputeBackend backend, ModelWeights w, Map<String, ?> params) {
        Map<String, Object> all = new java.util.HashMap<>(params);
        String device = System.getProperty("rill.tornadovm.device", "");
        if (!device.isBlank()) all.putIfAbsent("device", device);
        return backend.prepare(w, backend.params(all));
    }

    /** ‖got − want‖∞ / ‖want‖∞, after checking it is within {@link #TOLERANCE}. */
    static double compare(float[] want, float[] got, String where) {
        return compare(want, got, where, TOLERANCE);
    }

    /** ‖got − want‖∞ / ‖want‖∞. */
    static double relative(float[] want, float[] got) {
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
        }
        return maxDiff / maxAbs;
    }

    /** ‖got − want‖∞ / ‖want‖∞, after checking it is within {@code tolerance}. */
    static double compare(float[] want, float[] got, String where, double tolerance) {
        for (int i = 0; i < want.length; i++) assertTrue(Float.isFinite(got[i]), where + ": logit " + i + " is " + got[i]);
        double rel = relative(want, got);
        assertTrue(Float.isFinite((float) rel), where + ": the reference logits are all zero");
        assertTrue(rel <= tolerance, where + ": device logits differ from the reference's by " + rel + " (relative), more than " + tolerance);
        return rel;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /**
     * Runs {@code prompt} and then {@code steps} greedy tokens on both passes, comparing the logits at
     * every step and requiring the same tokens. Returns the largest relative difference seen.
     */
    static double greedyMatches(ForwardPass cpu, ForwardPass device, int[] prompt, int steps, String what) {
        int V = cpu.weights().arch().nVocab();
        float[] want = new float[V], got = new float[V];
        double worst;
        try (KvCache c = cpu.newCache(prompt.length + steps); KvCache d = device.newCache(prompt.length + steps)) {
            cpu.forward(c, prompt, 0, prompt.length, want);
            device.forward(d, prompt, 0, prompt.length, got);
            worst = compare(want, got, what + " prompt");
            for (int s = 0; s < steps; s++) {
                int token = argmax(want);
                assertEquals(token, argmax(got), what + ": greedy tokens differ at step " + s);
                int[] next = {token};
                cpu.forward(c, next, 0, 1, want);
                device.forward(d, next, 0, 1, got);
                worst = Math.max(worst, compare(want, got, what + " step " + s));
            }
            assertEquals(prompt.length + steps, d.length());
        }
        return worst;
    }
}
