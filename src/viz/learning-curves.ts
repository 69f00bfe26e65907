// Learning curves from a Keras-style history: loss (and the first metric, accuracy when there is
// one) for training and validation per epoch, side by side, with the epoch of the lowest
// validation loss marked — where early stopping would have restored the weights, and where an
// overfitting model's validation loss turned up. SVG is written as text; PNG rasterises it.

import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { escapeXml, FONT_FAMILY, PANEL_MARGIN, renderPanel, type ChartSeries, type PanelSpec } from "./svg-chart.js";
import { svgToPng } from "./raster.js";
import { checkOptions, optionNames } from "../core/options.js";

export interface LearningCurvesOptions {
  /** A title across the top of the image. */
  title?: string;
  /** Image width in pixels (default 960 with two panels, 520 with one). */
  width?: number;
  /** Image height in pixels (default 380). */
  height?: number;
}

export const LEARNING_CURVES_OPTIONS = optionNames<LearningCurvesOptions>({ title: 1, width: 1, height: 1 });

export interface WriteLearningCurvesOptions extends LearningCurvesOptions {
  /** File name without extension (default "learning-curves"). */
  basename?: string;
}

export const WRITE_LEARNING_CURVES_OPTIONS = optionNames<WriteLearningCurvesOptions>({ title: 1, width: 1, height: 1, basename: 1 });

/** Line colours (matplotlib's first two, and red for the best-epoch marker). */
export const CURVE_COLORS = { training: "#1f77b4", validation: "#ff7f0e", marker: "#d62728" } as const;

/** Keys that are not curves to plot next to the loss. */
const NOT_METRICS = new Set(["loss", "lr", "learning_rate", "epoch"]);
const MAX_SIDE = 16384;

interface Curves {
  epochs: number[];
  panels: PanelSpec[];
}

/** The history as an SVG document: two panels (loss; accuracy or the first metric) or one. */
export function learningCurvesSvg(history: Record<string, ArrayLike<number | null>>, opts: LearningCurvesOptions = {}): string {
  return buildSvg("learningCurvesSvg", history, opts);
}

/** The same picture as PNG bytes, `width` x `height` pixels, text rendered with a bundled font. */
export function learningCurvesPng(history: Record<string, ArrayLike<number | null>>, opts: LearningCurvesOptions = {}): Uint8Array {
  return svgToPng(buildSvg("learningCurvesPng", history, opts), "learningCurvesPng");
}

/** Write `<dir>/<basename>.svg` and `.png` (creating dir); returns both paths. */
export async function writeLearningCurves(
  history: Record<string, ArrayLike<number | null>>,
  dir: string,
  opts: WriteLearningCurvesOptions = {},
): Promise<{ svg: string; png: string }> {
  const fn = "writeLearningCurves";
  checkOptions(fn, opts, WRITE_LEARNING_CURVES_OPTIONS);
  if (typeof dir !== "string" || dir === "") throw new TypeError(`${fn}: dir must be a non-empty path string, got ${describe(dir)}`);
  const basename = opts?.basename ?? "learning-curves";
  if (typeof basename !== "string" || basename === "" || /[\\/]/.test(basename) || basename === "." || basename === "..") {
    throw new TypeError(`${fn}: basename must be a file name without a directory, got ${describe(basename)}`);
  }
  const svg = buildSvg(fn, history, opts, WRITE_LEARNING_CURVES_OPTIONS);
  const png = svgToPng(svg, fn);
  await mkdir(dir, { recursive: true });
  const paths = { svg: join(dir, `${basename}.svg`), png: join(dir, `${basename}.png`) };
  await writeAtomically(paths.svg, svg);
  await writeAtomically(paths.png, png);
  return paths;
}

/** Write then rename, so a reader (or a killed run) never sees half an image. */
async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function buildSvg(fn: string, history: Record<string, ArrayLike<number | null>>, opts: LearningCurvesOptions | undefined, known: readonly string[] = LEARNING_CURVES_OPTIONS): string {
  const curves = readHistory(fn, history);
  const o = opts ?? {};
  if (typeof o !== "object") throw new TypeError(`${fn}: options must be an object, got ${describe(o)}`);
  checkOptions(fn, o, known, { figsize: "width and height (pixels)" });
  if (o.title !== undefined && typeof o.title !== "string") throw new TypeError(`${fn}: title must be a string, got ${describe(o.title)}`);
  const count = curves.panels.length;
  const width = checkSide(fn, "width", o.width, count === 2 ? 960 : 520);
  const height = checkSide(fn, "height", o.height, 380);
  const top = o.title ? 34 : 4;
  const panelWidth = width / count;
  const minWidth = count * (PANEL_MARGIN.left + PANEL_MARGIN.right + 40);
  const minHeight = top + PANEL_MARGIN.top + PANEL_MARGIN.bottom + 40;
  if (width < minWidth) throw new RangeError(`${fn}: width ${width} leaves no room for ${count} panel${count > 1 ? "s" : ""}; use at least ${minWidth}`);
  if (height < minHeight) throw new RangeError(`${fn}: height ${height} leaves no room to plot; use at least ${minHeight}`);

  const parts: string[] = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="learning-curves">`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (o.title) {
    parts.push(`<text x="${width / 2}" y="24" font-family="${FONT_FAMILY}" font-size="16" font-weight="bold" fill="#111111" text-anchor="middle" class="title">${escapeXml(o.title)}</text>`);
  }
  curves.panels.forEach((panel, i) => {
    parts.push(renderPanel(panel, { x: i * panelWidth, y: top, width: panelWidth, height: height - top }));
  });
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

function checkSide(fn: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
    throw new RangeError(`${fn}: ${name} must be an integer number of pixels in [1, ${MAX_SIDE}], got ${describe(value)}`);
  }
  return value;
}

/** Validate the history and turn it into panel specs. */
function readHistory(fn: string, history: Record<string, ArrayLike<number | null>>): Curves {
  if (history === null || typeof history !== "object" || Array.isArray(history) || ArrayBuffer.isView(history)) {
    throw new TypeError(`${fn}: history must be an object of per-epoch arrays (Keras style: { loss: [...], val_loss: [...], accuracy: [...] }), got ${describe(history)}`);
  }
  const keys = Object.keys(history);
  if (keys.length === 0) throw new Error(`${fn}: history is empty; expected per-epoch arrays such as loss and val_loss`);
  for (const k of keys) {
    const v = history[k];
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      throw new TypeError(`${fn}: history.${k} must be an array of per-epoch numbers, got ${describe(v)}`);
    }
  }
  if (!Object.hasOwn(history, "loss")) {
    throw new Error(`${fn}: history has no "loss" key (it has ${keys.join(", ")}); expected Keras-style keys: loss, val_loss, accuracy, val_accuracy`);
  }
  const loss = values(fn, history, "loss");
  const n = loss.length;
  if (n === 0) throw new Error(`${fn}: history.loss is empty; there are no epochs to plot`);

  const series = (key: string): number[] | undefined => {
    if (!Object.hasOwn(history, key)) return undefined;
    const v = values(fn, history, key);
    if (v.length !== n) throw new Error(`${fn}: history.${key} has ${v.length} values but history.loss has ${n}; every series needs one value per epoch`);
    return v;
  };

  let epochs = Array.from({ length: n }, (_, i) => i + 1);
  const epochKey = series("epoch");
  if (epochKey) {
    epochKey.forEach((e, i) => {
      if (!Number.isFinite(e)) throw new Error(`${fn}: history.epoch[${i}] is ${history.epoch[i]}; epoch numbers must be finite`);
    });
    epochs = epochKey.map((e) => e + 1); // Keras' epoch numbers are 0-based; people count from 1
  }

  const valLoss = series("val_loss");
  const panels: PanelSpec[] = [];
  const lossSeries = curveSeries("loss", loss, valLoss, epochs);
  const best = valLoss ? argminFinite(valLoss) : -1;
  const marker = best >= 0
    ? { x: epochs[best], y: valLoss![best], label: `lowest val_loss (epoch ${formatEpoch(epochs[best])})`, color: CURVE_COLORS.marker }
    : undefined;
  panels.push({ id: "loss", title: "Loss", xLabel: "epoch", yLabel: "loss", series: lossSeries, marker, integerX: true });

  const metric = chooseMetric(keys);
  if (metric !== undefined) {
    const train = series(metric);
    const val = series(`val_${metric}`);
    const metricSeries: ChartSeries[] = [];
    if (train) metricSeries.push({ label: "training", key: metric, color: CURVE_COLORS.training, xs: epochs, ys: train });
    if (val) metricSeries.push({ label: "validation", key: `val_${metric}`, color: CURVE_COLORS.validation, xs: epochs, ys: val });
    // Same epoch marked in both panels: read the metric at the epoch early stopping would keep.
    const metricMarker = marker ? { x: marker.x, label: marker.label, color: marker.color } : undefined;
    panels.push({ id: metric, title: humanize(metric), xLabel: "epoch", yLabel: metric, series: metricSeries, marker: metricMarker, integerX: true });
  }
  return { epochs, panels };
}

function curveSeries(key: string, train: number[], val: number[] | undefined, epochs: number[]): ChartSeries[] {
  const out: ChartSeries[] = [{ label: "training", key, color: CURVE_COLORS.training, xs: epochs, ys: train }];
  if (val) out.push({ label: "validation", key: `val_${key}`, color: CURVE_COLORS.validation, xs: epochs, ys: val });
  return out;
}

/** "accuracy" when present (as a training or validation key), else the first other metric. */
function chooseMetric(keys: string[]): string | undefined {
  const bases = keys.map((k) => (k.startsWith("val_") ? k.slice(4) : k)).filter((k) => !NOT_METRICS.has(k));
  if (bases.includes("accuracy")) return "accuracy";
  return bases[0];
}

/** Per-epoch values as numbers; null (what JSON makes of NaN) is a gap like NaN. */
function values(fn: string, history: Record<string, ArrayLike<number | null>>, key: string): number[] {
  const raw = history[key];
  const out = new Array<number>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v === null || v === undefined) out[i] = NaN;
    else if (typeof v === "number") out[i] = v;
    else throw new TypeError(`${fn}: history.${key}[${i}] must be a number, got ${describe(v)}`);
  }
  return out;
}

function argminFinite(xs: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]) && (best < 0 || xs[i] < xs[best])) best = i;
  }
  return best;
}

function formatEpoch(e: number): string {
  return Number.isInteger(e) ? String(e) : String(Math.round(e * 1000) / 1000);
}

/** "top5_accuracy" -> "Top5 accuracy". */
function humanize(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `${typeof v} ${String(v)}`;
}
