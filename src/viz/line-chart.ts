// nb.viz.lineChartSvg / lineChartPng: one panel of named curves — what a training loop that nb.fit
// does not run (a GAN's discriminator and generator losses per iteration, a VAE's train and test
// loss per epoch) plots. The same drawing as the learning curves (svg-chart.ts), without their
// Keras-history conventions.

import { checkOptions, optionNames } from "../core/options.js";
import { escapeXml, FONT_FAMILY, PANEL_MARGIN, renderPanel, type ChartSeries } from "./svg-chart.js";
import { svgToPng } from "./raster.js";

export interface LineChartOptions {
  /** Panel title (default none). */
  title?: string;
  /** Default "iteration". */
  xLabel?: string;
  /** Default "loss". */
  yLabel?: string;
  /** Pixels (default 640 by 380). */
  width?: number;
  height?: number;
  /** The x value of each series' first point (default 1); points are 1 apart unless xs are given. */
  start?: number;
}

export const LINE_CHART_OPTIONS = optionNames<LineChartOptions>({ title: 1, xLabel: 1, yLabel: 1, width: 1, height: 1, start: 1 });

/** A curve: its values, and optionally their x positions (e.g. fractional epochs). */
export interface LineSeries {
  values: ArrayLike<number>;
  xs?: ArrayLike<number>;
}

/** matplotlib's tab10, in order. */
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const MAX_SIDE = 16384;

/** Curves by name, e.g. `{ "D loss": lossD, "G loss": lossG }`, as an SVG document. */
export function lineChartSvg(series: Record<string, ArrayLike<number> | LineSeries>, opts: LineChartOptions = {}): string {
  return buildSvg("lineChartSvg", series, opts);
}

/** The same chart as PNG bytes. */
export function lineChartPng(series: Record<string, ArrayLike<number> | LineSeries>, opts: LineChartOptions = {}): Uint8Array {
  return svgToPng(buildSvg("lineChartPng", series, opts), "lineChartPng");
}

function buildSvg(where: string, series: Record<string, ArrayLike<number> | LineSeries>, opts: LineChartOptions): string {
  checkOptions(where, opts, LINE_CHART_OPTIONS, { xlabel: "xLabel", ylabel: "yLabel", figsize: "width and height (pixels)" });
  if (series === null || typeof series !== "object" || Array.isArray(series)) {
    throw new TypeError(`${where}: series must be an object of named curves, e.g. { "D loss": [...], "G loss": [...] }`);
  }
  const names = Object.keys(series);
  if (names.length === 0) throw new RangeError(`${where}: no series to draw`);
  if (names.length > COLORS.length) throw new RangeError(`${where}: at most ${COLORS.length} series, got ${names.length}`);
  const start = opts.start ?? 1;
  if (!Number.isFinite(start)) throw new RangeError(`${where}: start must be a finite number, got ${String(start)}`);
  const chart: ChartSeries[] = names.map((label, i) => {
    const s = series[label];
    const bare = Array.isArray(s) || ArrayBuffer.isView(s); // (an array has a values() method too)
    const given = !bare && s !== null && typeof s === "object" && "values" in s ? (s as LineSeries) : { values: s as ArrayLike<number> };
    const ys = numbers(where, `${label}`, given.values);
    if (ys.length === 0) throw new RangeError(`${where}: series "${label}" is empty`);
    const xs = given.xs === undefined ? ys.map((_, j) => start + j) : numbers(where, `${label}.xs`, given.xs);
    if (xs.length !== ys.length) throw new RangeError(`${where}: series "${label}" has ${ys.length} values but ${xs.length} xs`);
    return { label, key: label, color: COLORS[i], xs, ys };
  });
  const width = side(where, "width", opts.width, 640);
  const height = side(where, "height", opts.height, 380);
  if (width < PANEL_MARGIN.left + PANEL_MARGIN.right + 40 || height < PANEL_MARGIN.top + PANEL_MARGIN.bottom + 48) {
    throw new RangeError(`${where}: ${width}x${height} pixels leave no room to plot`);
  }
  const integerX = chart.every((s) => s.xs.every(Number.isInteger));
  const panel = renderPanel(
    { id: "chart", title: opts.title ?? "", xLabel: opts.xLabel ?? "iteration", yLabel: opts.yLabel ?? "loss", series: chart, integerX },
    { x: 0, y: 4, width, height: height - 4 },
  );
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="line-chart" font-family="${escapeXml(FONT_FAMILY)}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    panel,
    `</svg>`,
  ].join("\n") + "\n";
}

function numbers(where: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    throw new TypeError(`${where}: series "${name}" must be an array of numbers`);
  }
  return Array.from(v as ArrayLike<number | null>, (x, i) => {
    if (x === null) return NaN; // what JSON makes of NaN: a gap
    if (typeof x !== "number") throw new TypeError(`${where}: series "${name}"[${i}] must be a number, got ${typeof x}`);
    return x;
  });
}

function side(where: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RangeError(`${where}: ${name} must be an integer number of pixels in [1, ${MAX_SIDE}], got ${String(v)}`);
  return v;
}
