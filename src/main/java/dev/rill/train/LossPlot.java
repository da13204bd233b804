package dev.rill.train;

import java.util.List;
import java.util.Locale;

/** A loss curve as a self-contained SVG image: training loss per step (smoothed) and validation loss. */
public final class LossPlot {

    private LossPlot() {
    }

    /** A point of a curve. */
    public record Point(int step, double loss) {
    }

    public static String svg(List<Point> train, List<Point> val, String title) {
        int w = 720, h = 420, left = 60, right = 20, top = 40, bottom = 50;
        int maxStep = 1;
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        List<Point> smooth = smooth(train);
        for (List<Point> series : List.of(smooth, val)) {
            for (Point p : series) {
                maxStep = Math.max(maxStep, p.step());
                if (Double.isFinite(p.loss())) {
                    lo = Math.min(lo, p.loss());
                    hi = Math.max(hi, p.loss());
                }
            }
        }
        if (lo > hi) { lo = 0; hi = 1; }
        if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", left, escape(title)));
        double plotW = w - left - right, plotH = h - top - bottom;
        for (int i = 0; i <= 5; i++) {
            double v = lo + (hi - lo) * i / 5;
            double y = top + plotH - plotH * i / 5;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, y, w - right, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", left - 6, y + 4, v));
        }
        for (int i = 0; i <= 5; i++) {
            double x = left + plotW * i / 5;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x, h - bottom + 18, Math.round((double) maxStep * i / 5)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">step</text>%n", left + plotW / 2, h - 10));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">loss (nats/token)</text>%n", top + plotH / 2, top + plotH / 2));
        final double loF = lo, hiF = hi, maxF = maxStep;
        java.util.function.DoubleUnaryOperator xs = s -> left + plotW * s / maxF;
        java.util.function.DoubleUnaryOperator ys = v -> top + plotH - plotH * (v - loF) / (hiF - loF);
        polyline(sb, smooth, xs, ys, "#1f77b4");
        polyline(sb, val, xs, ys, "#d62728");
        for (Point p : val) {
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"/>%n", xs.applyAsDouble(p.step()), ys.applyAsDouble(p.loss())));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"52\" x2=\"%d\" y2=\"52\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"%d\" y=\"56\">train (smoothed)</text>%n", w - 190, w - 170, w - 165));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"70\" x2=\"%d\" y2=\"70\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"%d\" y=\"74\">validation</text>%n", w - 190, w - 170, w - 165));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void polyline(StringBuilder sb, List<Point> pts, java.util.function.DoubleUnaryOperator xs,
                                 java.util.function.DoubleUnaryOperator ys, String color) {
        if (pts.isEmpty()) return;
        sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.5\" points=\"");
        for (Point p : pts) {
            if (!Double.isFinite(p.loss())) continue;
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", xs.applyAsDouble(p.step()), ys.applyAsDouble(p.loss())));
        }
        sb.append("\"/>\n");
    }

    /** Exponential moving average, so per-step noise does not hide the trend. */
    static List<Point> smooth(List<Point> pts) {
        List<Point> out = new java.util.ArrayList<>(pts.size());
        double ema = Double.NaN;
        for (Point p : pts) {
            ema = Double.isNaN(ema) ? p.loss() : 0.9 * ema + 0.1 * p.loss();
            out.add(new Point(p.step(), ema));
        }
        return out;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
