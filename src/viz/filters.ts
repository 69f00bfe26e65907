// nb.viz.filters: a convolution layer's kernels as a picture — like the 96 11x11
// filters learned by the first layer of AlexNet. A kernel with 3 input channels is drawn as one RGB
// tile; otherwise each input channel of each kernel is a grayscale tile, one row per filter.
// Values are min-max scaled per filter (or over the whole layer), so the pattern shows whatever
// the weights' magnitude.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { COLORMAPS, type Colormap, gridToPng, minMaxScale, positiveInt, type Tile, writeImage } from "./image-grid.js";

export interface FiltersOptions {
  /** Also write the PNG here (folders are created). */
  path?: string;
  /** Pixels per kernel pixel (default: tiles of about 40 pixels). */
  scale?: number;
  /** Tiles per row (default: one row per filter when each filter is several grayscale tiles, else about square). */
  columns?: number;
  /** Pixels between tiles (default 2). */
  gap?: number;
  /** Scale values per filter (default) or over the whole layer, which shows which filters are strong. */
  normalize?: "filter" | "layer";
  /** Colouring of grayscale tiles (default "gray"). */
  colormap?: Colormap;
}

export const FILTERS_OPTIONS = optionNames<FiltersOptions>({ path: 1, scale: 1, columns: 1, gap: 1, normalize: 1, colormap: 1 });

/** The 4-D weight [out, in, kH, kW] of a Conv2d (or any module with one), or the tensor itself. */
function kernelsOf(where: string, source: unknown): Tensor {
  let w: unknown = source;
  if (source instanceof Module) {
    w = (source as unknown as { weight?: unknown }).weight;
    if (!(w instanceof Tensor)) throw new TypeError(`${where}: ${source.constructor.name} has no weight tensor; pass a Conv2d or its weight [out, in, kH, kW]`);
  }
  if (!(w instanceof Tensor)) throw new TypeError(`${where}: expected a Conv2d or a 4-D weight tensor [out, in, kH, kW], got ${source === null ? "null" : typeof source}`);
  if (w.ndim !== 4) throw new RangeError(`${where}: expected kernels of shape [out, in, kH, kW] (a Conv2d's weight), got ${formatShape(w.shape)}`);
  if (w.numel() === 0) throw new RangeError(`${where}: the kernels ${formatShape(w.shape)} are empty`);
  if (w.dtype !== "float32" && w.dtype !== "float64") throw new TypeError(`${where}: expected floating-point kernels, got ${w.dtype}`);
  return w;
}

/** The kernels of a Conv2d (or a 4-D weight tensor) as a PNG image grid; writes `path` if given. */
export function filters(conv: Module | Tensor, opts: FiltersOptions = {}): Uint8Array {
  const where = "filters";
  checkOptions(where, opts, FILTERS_OPTIONS, { cmap: "colormap" });
  const w = kernelsOf(where, conv);
  const [out, inCh, kh, kw] = w.shape;
  const normalize = opts.normalize ?? "filter";
  if (normalize !== "filter" && normalize !== "layer") throw new RangeError(`${where}: normalize must be "filter" or "layer", got ${JSON.stringify(normalize)}`);
  const colormap = opts.colormap ?? "gray";
  if (!COLORMAPS.includes(colormap)) throw new RangeError(`${where}: colormap must be one of ${COLORMAPS.join(", ")}, got ${JSON.stringify(colormap)}`);
  const scale = opts.scale === undefined ? Math.max(1, Math.round(40 / Math.max(kh, kw))) : positiveInt(where, "scale", opts.scale, 256);
  const gap = opts.gap === undefined ? 2 : opts.gap === 0 ? 0 : positiveInt(where, "gap", opts.gap, 256);

  const values = Float32Array.from(w.detach().contiguous().dataSync() as ArrayLike<number>);
  const perFilter = inCh * kh * kw;
  if (normalize === "layer") minMaxScale(values, 0, values.length, 0.5);
  else for (let f = 0; f < out; f++) minMaxScale(values, f * perFilter, perFilter, 0.5);

  const plane = kh * kw;
  const tiles: Tile[] = [];
  const rgb = inCh === 3;
  for (let f = 0; f < out; f++) {
    if (rgb) tiles.push({ height: kh, width: kw, channels: 3, data: values.subarray(f * perFilter, (f + 1) * perFilter) });
    else for (let c = 0; c < inCh; c++) tiles.push({ height: kh, width: kw, channels: 1, data: values.subarray(f * perFilter + c * plane, f * perFilter + (c + 1) * plane) });
  }
  const defaultColumns = !rgb && inCh > 1 && inCh <= 32 ? inCh : undefined;
  const columns = opts.columns === undefined ? defaultColumns : positiveInt(where, "columns", opts.columns, 4096);
  const png = gridToPng(tiles, { columns, scale, gap, colormap }, where);
  if (opts.path !== undefined) writeImage(where, opts.path, png);
  return png;
}
