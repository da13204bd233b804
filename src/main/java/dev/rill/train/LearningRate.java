package dev.rill.train;

/** Linear warm-up to the peak, then cosine decay to the minimum at the last step (nanoGPT's schedule). */
public record LearningRate(double peak, double min, int warmup, int total) {

    /** Learning rate at step {@code it} (0-based). */
    public double at(int it) {
        if (it < warmup) return peak * (it + 1) / (warmup + 1);
        if (it >= total) return min;
        double progress = (double) (it - warmup) / Math.max(1, total - warmup);
        double coeff = 0.5 * (1 + Math.cos(Math.PI * progress));
        return min + coeff * (peak - min);
    }
}
