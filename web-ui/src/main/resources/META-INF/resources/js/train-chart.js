// The loss chart of the train page: training loss (smoothed, as the checkpoint's loss.svg draws it)
// and validation loss against the step, as plain SVG elements (no library, nothing inserted as HTML).

const SVG = 'http://www.w3.org/2000/svg';
const W = 640, H = 300, LEFT = 48, RIGHT = 12, TOP = 12, BOTTOM = 28;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

/** Exponential moving average, so per-step noise does not hide the trend. */
export function smooth(points, alpha = 0.1) {
  let ema = null;
  return points.map(([step, loss]) => {
    ema = ema == null ? loss : (1 - alpha) * ema + alpha * loss;
    return [step, ema];
  });
}

/** Draws both curves into {@code svg}; {@code train} and {@code val} are [step, loss] pairs (loss may be null). */
export function drawChart(svg, train, val, steps) {
  svg.replaceChildren();
  const t = smooth(train.filter((p) => Number.isFinite(p[1])));
  const v = val.filter((p) => Number.isFinite(p[1]));
  const all = [...t, ...v];
  const maxStep = Math.max(1, steps ?? 0, ...all.map((p) => p[0]));
  let lo = Math.min(...all.map((p) => p[1])), hi = Math.max(...all.map((p) => p[1]));
  if (!all.length) { lo = 0; hi = 1; }
  if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const x = (s) => LEFT + (W - LEFT - RIGHT) * s / maxStep;
  const y = (l) => TOP + (H - TOP - BOTTOM) * (1 - (l - lo) / (hi - lo));
  for (let i = 0; i <= 4; i++) {
    const l = lo + (hi - lo) * i / 4;
    svg.append(el('line', { x1: LEFT, x2: W - RIGHT, y1: y(l), y2: y(l), class: 'grid-line' }));
    svg.append(el('text', { x: LEFT - 6, y: y(l) + 4, 'text-anchor': 'end' }, l.toFixed(2)));
  }
  for (let i = 0; i <= 4; i++) {
    const s = Math.round(maxStep * i / 4);
    svg.append(el('text', { x: x(s), y: H - 8, 'text-anchor': 'middle' }, String(s)));
  }
  const line = (pts, cls) => {
    if (pts.length > 1) svg.append(el('polyline', { class: cls, points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
  };
  line(t, 'train');
  line(v, 'val');
  for (const p of v) svg.append(el('circle', { class: 'val', cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3 }));
}
