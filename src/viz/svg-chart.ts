// A small line-chart panel written straight as SVG text: axes, ticks, gridlines, a legend row,
// series drawn as polylines (broken at non-finite values) with a dot per point, and an optional
// vertical marker. The learning curves compose one or two of these side by side.

/** Font stack: the PNG renderer ships Roboto; viewers of the SVG fall back to what they have. */
export const FONT_FAMILY = "Roboto, 'DejaVu Sans', Arial, Helvetica, sans-serif";

export interface ChartSeries {
  /** Legend text and the `data-series` attribute of its group. */
  label: string;
  /** The history key it came from (the `data-key` attribute). */
  key: string;
  color: string;
  xs: readonly number[];
  /** Non-finite values are gaps: no dot, and the line breaks there. */
  ys: readonly number[];
}

export interface ChartMarker {
  x: number;
  /** Where to ring a point (a data y value), if any. */
  y?: number;
  label: string;
  color: string;
}

export interface PanelSpec {
  /** Identifies the panel in the SVG (`data-panel`). */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  marker?: ChartMarker;
  /** Ticks on the x axis at integers only (epochs). */
  integerX?: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Space around the plot area inside a panel's box, in pixels. */
export const PANEL_MARGIN = { left: 64, right: 18, top: 56, bottom: 44 };

const GRID = "#e3e3e3";
const AXIS = "#333333";
const TEXT = "#222222";

export function escapeXml(text: string): string {
  return text
    // Control characters other than tab/newline are not allowed in XML 1.0.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** Coordinates rounded to 0.01 px keep the SVG short without visible error. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Tick step of 1, 2 or 5 times a power of ten giving about `target` intervals over `span`. */
export function niceStep(span: number, target: number): number {
  const rough = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normalized = rough / magnitude;
  const factor = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10;
  return factor * magnitude;
}

/** The multiples of `step` lying inside [lo, hi] (computed by index so they do not drift). */
export function ticksWithin(lo: number, hi: number, step: number): number[] {
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(i * step);
  return ticks;
}

/** Tick label with as many decimals as the step needs; exponent form for extreme magnitudes. */
export function formatTick(value: number, step: number): string {
  if (Math.abs(value) < step * 1e-6) value = 0; // no "-0" or "1e-17"
  const magnitude = Math.max(Math.abs(value), step);
  if (step < 1e-4 || magnitude >= 1e6) {
    if (value === 0) return "0";
    const digits = Math.max(0, Math.min(6, Math.ceil(Math.log10(Math.abs(value) / step) - 1e-9)));
    return value.toExponential(digits).replace(/\.?0+e/, "e");
  }
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return value.toFixed(decimals);
}

/** The value range a panel shows: the data plus a margin; a constant series gets a band around it. */
export function valueDomain(values: Iterable<number>, marginFraction: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1]; // nothing finite to show
  if (lo === hi) {
    const half = lo === 0 ? 0.5 : Math.abs(lo) * 0.05;
    return [lo - half, hi + half];
  }
  const margin = (hi - lo) * marginFraction;
  return [lo - margin, hi + margin];
}

function textElement(x: number, y: number, content: string, attrs: string): string {
  return `<text x="${px(x)}" y="${px(y)}" ${attrs}>${escapeXml(content)}</text>`;
}

/** Rough text width for laying out the legend (no font metrics here): average glyph ≈ 0.56 em. */
function textWidth(content: string, fontSize: number): number {
  return content.length * fontSize * 0.56;
}

/** One panel as an SVG `<g>` fragment inside `box`. Throws if the box leaves no room to plot. */
export function renderPanel(spec: PanelSpec, box: Box): string {
  const plot: Box = {
    x: box.x + PANEL_MARGIN.left,
    y: box.y + PANEL_MARGIN.top,
    width: box.width - PANEL_MARGIN.left - PANEL_MARGIN.right,
    height: box.height - PANEL_MARGIN.top - PANEL_MARGIN.bottom,
  };
  const xs = spec.series.flatMap((s) => s.xs.filter((_, i) => Number.isFinite(s.ys[i])));
  const allXs = xs.length > 0 ? xs : spec.series.flatMap((s) => [...s.xs]);
  let [x0, x1] = valueDomain(allXs, 0.04);
  const onlyX = allXs.find((x) => Number.isFinite(x));
  if (spec.integerX && onlyX !== undefined && allXs.every((x) => x === onlyX)) {
    // One epoch: centre it in a unit-wide window, so the axis shows just its own tick.
    [x0, x1] = [onlyX - 0.5, onlyX + 0.5];
  }
  const [y0, y1] = valueDomain(spec.series.flatMap((s) => [...s.ys]), 0.05);
  const sx = (x: number) => plot.x + ((x - x0) / (x1 - x0)) * plot.width;
  const sy = (y: number) => plot.y + plot.height - ((y - y0) / (y1 - y0)) * plot.height;

  const xStep = spec.integerX ? Math.max(1, Math.round(niceStep(x1 - x0, Math.max(2, plot.width / 80)))) : niceStep(x1 - x0, Math.max(2, plot.width / 80));
  const yStep = niceStep(y1 - y0, Math.max(2, Math.min(8, plot.height / 50)));
  const xTicks = ticksWithin(x0, x1, xStep);
  const yTicks = ticksWithin(y0, y1, yStep);

  const out: string[] = [];
  out.push(`<g class="panel" data-panel="${escapeXml(spec.id)}">`);
  out.push(`<rect class="plot-area" x="${px(plot.x)}" y="${px(plot.y)}" width="${px(plot.width)}" height="${px(plot.height)}" fill="#ffffff" stroke="none"/>`);

  // Gridlines first so everything else draws over them.
  out.push(`<g class="grid" stroke="${GRID}" stroke-width="1">`);
  for (const t of xTicks) out.push(`<line x1="${px(sx(t))}" y1="${px(plot.y)}" x2="${px(sx(t))}" y2="${px(plot.y + plot.height)}"/>`);
  for (const t of yTicks) out.push(`<line x1="${px(plot.x)}" y1="${px(sy(t))}" x2="${px(plot.x + plot.width)}" y2="${px(sy(t))}"/>`);
  out.push(`</g>`);

  // Axes with tick marks and labels.
  const bottom = plot.y + plot.height;
  out.push(`<g class="axes" stroke="${AXIS}" stroke-width="1">`);
  out.push(`<line x1="${px(plot.x)}" y1="${px(bottom)}" x2="${px(plot.x + plot.width)}" y2="${px(bottom)}"/>`);
  out.push(`<line x1="${px(plot.x)}" y1="${px(plot.y)}" x2="${px(plot.x)}" y2="${px(bottom)}"/>`);
  for (const t of xTicks) out.push(`<line x1="${px(sx(t))}" y1="${px(bottom)}" x2="${px(sx(t))}" y2="${px(bottom + 5)}"/>`);
  for (const t of yTicks) out.push(`<line x1="${px(plot.x - 5)}" y1="${px(sy(t))}" x2="${px(plot.x)}" y2="${px(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="tick-labels" font-family="${FONT_FAMILY}" font-size="11" fill="${TEXT}">`);
  for (const t of xTicks) out.push(textElement(sx(t), bottom + 18, formatTick(t, xStep), `text-anchor="middle"`));
  for (const t of yTicks) out.push(textElement(plot.x - 8, sy(t) + 4, formatTick(t, yStep), `text-anchor="end"`));
  out.push(`</g>`);

  // Axis labels and panel title.
  out.push(`<g class="labels" font-family="${FONT_FAMILY}" fill="${TEXT}">`);
  out.push(textElement(plot.x + plot.width / 2, bottom + 36, spec.xLabel, `font-size="12" text-anchor="middle" class="x-label"`));
  const yLabelX = box.x + 14, yLabelY = plot.y + plot.height / 2;
  out.push(`<text x="${px(yLabelX)}" y="${px(yLabelY)}" font-size="12" text-anchor="middle" class="y-label" transform="rotate(-90 ${px(yLabelX)} ${px(yLabelY)})">${escapeXml(spec.yLabel)}</text>`);
  out.push(textElement(plot.x + plot.width / 2, box.y + 18, spec.title, `font-size="14" font-weight="bold" text-anchor="middle" class="panel-title"`));
  out.push(`</g>`);

  // Marker (under the series so the dots stay visible).
  const marker = spec.marker;
  if (marker && Number.isFinite(marker.x)) {
    const mx = sx(marker.x);
    out.push(`<g class="marker" data-x="${marker.x}" stroke="${marker.color}" fill="none">`);
    out.push(`<line x1="${px(mx)}" y1="${px(plot.y)}" x2="${px(mx)}" y2="${px(bottom)}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    if (marker.y !== undefined && Number.isFinite(marker.y)) out.push(`<circle cx="${px(mx)}" cy="${px(sy(marker.y))}" r="7" stroke-width="2"/>`);
    out.push(`</g>`);
  }

  // Series: polylines over runs of finite values, then one dot per finite value.
  const dense = Math.max(0, ...spec.series.map((s) => s.ys.length)) > 60;
  const radius = dense ? 1.3 : 3;
  for (const s of spec.series) {
    out.push(`<g class="series" data-series="${escapeXml(s.label)}" data-key="${escapeXml(s.key)}" stroke="${s.color}" fill="${s.color}">`);
    let run: string[] = [];
    const flush = () => {
      if (run.length >= 2) out.push(`<polyline points="${run.join(" ")}" fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`);
      run = [];
    };
    for (let i = 0; i < s.ys.length; i++) {
      if (Number.isFinite(s.ys[i]) && Number.isFinite(s.xs[i])) run.push(`${px(sx(s.xs[i]))},${px(sy(s.ys[i]))}`);
      else flush();
    }
    flush();
    for (let i = 0; i < s.ys.length; i++) {
      if (!Number.isFinite(s.ys[i]) || !Number.isFinite(s.xs[i])) continue;
      out.push(`<circle cx="${px(sx(s.xs[i]))}" cy="${px(sy(s.ys[i]))}" r="${radius}" stroke="none"/>`);
    }
    out.push(`</g>`);
  }
  if (xs.length === 0) {
    out.push(textElement(plot.x + plot.width / 2, plot.y + plot.height / 2, "no finite values", `font-family="${FONT_FAMILY}" font-size="12" fill="#888888" text-anchor="middle"`));
  }

  // Legend: one row between the title and the plot, so it never hides data.
  out.push(`<g class="legend" font-family="${FONT_FAMILY}" font-size="12" fill="${TEXT}">`);
  let lx = plot.x;
  const ly = box.y + 40;
  const entries: { label: string; color: string; dashed: boolean }[] = spec.series.map((s) => ({ label: s.label, color: s.color, dashed: false }));
  if (marker && Number.isFinite(marker.x)) entries.push({ label: marker.label, color: marker.color, dashed: true });
  for (const e of entries) {
    const dash = e.dashed ? ` stroke-dasharray="5 3"` : "";
    out.push(`<line x1="${px(lx)}" y1="${px(ly - 4)}" x2="${px(lx + 20)}" y2="${px(ly - 4)}" stroke="${e.color}" stroke-width="2"${dash}/>`);
    if (!e.dashed) out.push(`<circle cx="${px(lx + 10)}" cy="${px(ly - 4)}" r="3" fill="${e.color}"/>`);
    out.push(textElement(lx + 26, ly, e.label, `class="legend-label"`));
    lx += 26 + textWidth(e.label, 12) + 16;
  }
  out.push(`</g>`);
  out.push(`</g>`);
  return out.join("\n");
}
