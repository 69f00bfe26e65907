// nb.viz.saveImageGrid / imageGridPng: a batch of images laid out in a grid and saved as PNG, as
// torchvision.utils.save_image(make_grid(...)) does — nrow images per row, `padding` pixels
// between them and around, optionally min-max normalized (over valueRange, or the batch's own
// range, or each image's own). Generated samples, reconstructions and datasets look the same as
// in PyTorch's examples. Values are taken as [0, 1] (clamped), one channel gray or three RGB.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { gridToPng, positiveInt, type Tile, writeImage } from "./image-grid.js";

export interface ImageGridOptions {
  /** Images per row (default 8, torchvision's). */
  nrow?: number;
  /** Pixels between images and around the grid (default 2). */
  padding?: number;
  /** Map valueRange (or the images' min and max) to [0, 1] first (default false: values are already in [0, 1]). */
  normalize?: boolean;
  /** With normalize: the range mapped to [0, 1], values outside it clamped, e.g. [-1, 1] for tanh outputs. */
  valueRange?: readonly [number, number];
  /** With normalize and no valueRange: scale each image by its own min and max instead of the batch's (default false). */
  scaleEach?: boolean;
  /** Value in [0, 1] of the padding (default 0, black, as torchvision's). */
  padValue?: number;
  /** Pixels per image pixel (default 1), to enlarge small images. */
  scale?: number;
}

export const IMAGE_GRID_OPTIONS = optionNames<ImageGridOptions>({ nrow: 1, padding: 1, normalize: 1, valueRange: 1, scaleEach: 1, padValue: 1, scale: 1 });

/** torchvision's spellings, for people who bring them along. */
const RENAMED = { value_range: "valueRange", scale_each: "scaleEach", pad_value: "padValue", range: "valueRange" };

/** The images [N, C, H, W] (or [N, H, W], one channel) as PNG bytes: torchvision's make_grid + save_image. */
export function imageGridPng(images: Tensor, opts: ImageGridOptions = {}): Uint8Array {
  return render("imageGridPng", images, opts);
}

/** Write the images as one PNG grid at `path` (folders are created); returns the PNG bytes. */
export function saveImageGrid(images: Tensor, path: string, opts: ImageGridOptions = {}): Uint8Array {
  const where = "saveImageGrid";
  const png = render(where, images, opts);
  writeImage(where, path, png);
  return png;
}

function render(where: string, images: Tensor, opts: ImageGridOptions): Uint8Array {
  checkOptions(where, opts, IMAGE_GRID_OPTIONS, RENAMED);
  if (!(images instanceof Tensor)) throw new TypeError(`${where}: images must be a tensor [N, C, H, W] or [N, H, W], got ${images === null ? "null" : typeof images}`);
  if (images.ndim !== 3 && images.ndim !== 4) {
    throw new RangeError(`${where}: images must be a batch [N, C, H, W] (C 1 or 3) or [N, H, W], got ${formatShape(images.shape)}`);
  }
  if (images.dtype !== "float32" && images.dtype !== "float64") throw new TypeError(`${where}: images must be floating point (values in [0, 1], or normalize), got ${images.dtype}`);
  const [n, channels, h, w] = images.ndim === 4 ? images.shape : [images.shape[0], 1, images.shape[1], images.shape[2]];
  if (channels !== 1 && channels !== 3) throw new RangeError(`${where}: images ${formatShape(images.shape)} have ${channels} channels; a PNG grid takes 1 (gray) or 3 (RGB)`);
  if (n * h * w === 0) throw new RangeError(`${where}: images ${formatShape(images.shape)} are empty; nothing to draw`);

  const nrow = opts.nrow === undefined ? 8 : positiveInt(where, "nrow", opts.nrow, 4096);
  const padding = opts.padding ?? 2;
  if (typeof padding !== "number" || !Number.isInteger(padding) || padding < 0 || padding > 256) throw new RangeError(`${where}: padding must be an integer from 0 to 256, got ${String(padding)}`);
  const scale = opts.scale === undefined ? 1 : positiveInt(where, "scale", opts.scale, 256);
  const padValue = opts.padValue ?? 0;
  if (typeof padValue !== "number" || !(padValue >= 0 && padValue <= 1)) throw new RangeError(`${where}: padValue must be a number in [0, 1], got ${String(padValue)}`);
  const normalize = opts.normalize ?? false;
  if (typeof normalize !== "boolean") throw new TypeError(`${where}: normalize must be true or false, got ${JSON.stringify(normalize)}`);
  const range = opts.valueRange;
  if (range !== undefined) {
    if (!normalize) throw new RangeError(`${where}: valueRange applies only with normalize: true`);
    if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) {
      throw new RangeError(`${where}: valueRange must be [lo, hi] with finite lo < hi, got ${JSON.stringify(range)}`);
    }
  }
  if (opts.scaleEach && !normalize) throw new RangeError(`${where}: scaleEach applies only with normalize: true`);

  const values = Float32Array.from(images.detach().contiguous().dataSync() as ArrayLike<number>);
  const per = channels * h * w;
  if (normalize) {
    if (range) normalizeBlock(values, 0, values.length, range[0], range[1]);
    else if (opts.scaleEach) for (let i = 0; i < n; i++) normalizeBlock(values, i * per, per);
    else normalizeBlock(values, 0, values.length);
  }
  quantizeAsTorch(values);
  const tiles: Tile[] = [];
  for (let i = 0; i < n; i++) tiles.push({ height: h, width: w, channels: channels as 1 | 3, data: values.subarray(i * per, (i + 1) * per) });
  return gridToPng(tiles, { columns: Math.min(nrow, n), scale, gap: padding, colormap: "gray", background: Math.round(padValue * 255) }, where);
}

/**
 * torchvision's norm_ip: clamp to [lo, hi] and map it to [0, 1], the range floored at 1e-5 so a
 * constant image does not divide by zero; lo and hi default to the block's own min and max.
 */
function normalizeBlock(values: Float32Array, start: number, length: number, lo?: number, hi?: number): void {
  if (lo === undefined || hi === undefined) {
    lo = Infinity; hi = -Infinity;
    for (let i = start; i < start + length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  // In float32 step by step, as torch computes it (the Float32Array rounds each store).
  const span = Math.fround(Math.max(hi - lo, 1e-5));
  for (let i = start; i < start + length; i++) {
    const v = values[i] < lo ? lo : values[i] > hi ? hi : values[i];
    values[i] = Math.fround(v - lo) / span;
  }
}

/**
 * save_image's byte: (v·255 + 0.5) clamped to [0, 255] and truncated, in float32 (0.9 gives 230,
 * not double arithmetic's 229). Stored back as byte/255, which gridToPng's rounding returns exactly.
 */
function quantizeAsTorch(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    const b = Math.fround(Math.fround(values[i] * 255) + 0.5);
    values[i] = (b < 0 ? 0 : b > 255 ? 255 : Math.floor(b)) / 255;
  }
}
