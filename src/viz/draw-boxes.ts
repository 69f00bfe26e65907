// Boxes drawn into an image and encoded as PNG (pngjs): what `nabla detect` writes and the
// detection training's validation pictures. The image is scaled up by an integer factor (nearest
// neighbour) so small images stay readable; each box is an outline in its class's colour.

import pngjs from "pngjs";
import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { writeImage } from "./image-grid.js";

export interface DrawBoxesOptions {
  /** Class of each box (int), which picks its colour. */
  labels?: Tensor | readonly number[];
  /** Boxes drawn first, thin and white (e.g. the ground truth under the predictions). */
  reference?: Tensor | readonly (readonly number[])[];
  /** Integer upscaling of the image (default: so the long side is at least 256 px). */
  scale?: number;
  /** Outline width in output pixels (default 2). */
  lineWidth?: number;
}

export const DRAW_BOXES_OPTIONS = optionNames<DrawBoxesOptions>({ labels: 1, reference: 1, scale: 1, lineWidth: 1 });

/** Distinct colours for classes 0, 1, 2, … (Tableau 10). */
export const BOX_COLORS: readonly (readonly [number, number, number])[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

function rows(where: string, b: Tensor | readonly (readonly number[])[]): number[][] {
  if (b instanceof Tensor) {
    if (b.ndim !== 2 || b.shape[1] !== 4) throw new RangeError(`${where}: boxes must be [K, 4], got ${formatShape(b.shape)}`);
    const d = b.contiguous().dataSync();
    return Array.from({ length: b.shape[0] }, (_, k) => [0, 1, 2, 3].map((c) => Number(d[4 * k + c])));
  }
  return b.map((r) => [...r]);
}

/** The scaled image with the outlines, as 8-bit RGBA. */
function raster(where: string, image: Tensor, boxes: Tensor | readonly (readonly number[])[], opts: DrawBoxesOptions): { width: number; height: number; rgba: Uint8Array } {
  checkOptions(where, opts, DRAW_BOXES_OPTIONS);
  if (!(image instanceof Tensor) || image.ndim !== 3 || (image.shape[0] !== 1 && image.shape[0] !== 3)) {
    throw new RangeError(`${where}: image must be [C, H, W] with C = 1 or 3, got ${image instanceof Tensor ? formatShape(image.shape) : typeof image}`);
  }
  const [C, H, W] = image.shape;
  const s = opts.scale ?? Math.max(1, Math.ceil(256 / Math.max(H, W)));
  if (!Number.isInteger(s) || s < 1 || s > 64) throw new RangeError(`${where}: scale must be an integer in [1, 64], got ${s}`);
  const lw = opts.lineWidth ?? 2;
  const px = image.contiguous().dataSync();
  const out = new Uint8Array(4 * W * s * H * s);
  for (let y = 0; y < H * s; y++) {
    for (let x = 0; x < W * s; x++) {
      const src = Math.floor(y / s) * W + Math.floor(x / s), o = 4 * (y * W * s + x);
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(255 * Math.min(1, Math.max(0, Number(px[(C === 3 ? c : 0) * H * W + src]))));
      out[o + 3] = 255;
    }
  }
  const outline = (box: number[], color: readonly [number, number, number], width: number) => {
    const [x1, y1, x2, y2] = box.map((v) => Math.round(v * s));
    const put = (x: number, y: number) => {
      if (x < 0 || y < 0 || x >= W * s || y >= H * s) return;
      const o = 4 * (y * W * s + x);
      out[o] = color[0]; out[o + 1] = color[1]; out[o + 2] = color[2];
    };
    for (let t = 0; t < width; t++) {
      for (let x = x1; x <= x2; x++) { put(x, y1 + t); put(x, y2 - t); }
      for (let y = y1; y <= y2; y++) { put(x1 + t, y); put(x2 - t, y); }
    }
  };
  if (opts.reference) for (const b of rows(where, opts.reference)) outline(b, [255, 255, 255], 1);
  const labels = opts.labels instanceof Tensor ? Array.from(opts.labels.dataSync(), Number) : opts.labels ?? [];
  rows(where, boxes).forEach((b, k) => outline(b, BOX_COLORS[(labels[k] ?? 0) % BOX_COLORS.length], lw));
  return { width: W * s, height: H * s, rgba: out };
}

/** `image` ([C, H, W], C = 1 or 3, values in [0, 1]) scaled up, with `boxes` ([K, 4] x1, y1, x2, y2 in the image's pixels) outlined: [3, H·s, W·s] in [0, 1]. */
export function drawBoxes(image: Tensor, boxes: Tensor | readonly (readonly number[])[], opts: DrawBoxesOptions = {}): Tensor {
  const { width, height, rgba } = raster("drawBoxes", image, boxes, opts);
  const planes = new Float32Array(3 * width * height);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) planes[c * width * height + i] = rgba[4 * i + c] / 255;
  return tensor(planes, { shape: [3, height, width] });
}

/** drawBoxes as PNG bytes. */
export function drawBoxesPng(image: Tensor, boxes: Tensor | readonly (readonly number[])[], opts: DrawBoxesOptions = {}): Uint8Array {
  const { width, height, rgba } = raster("drawBoxesPng", image, boxes, opts);
  const png = new pngjs.PNG({ width, height });
  png.data.set(rgba);
  const bytes = pngjs.PNG.sync.write(png);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** drawBoxesPng written to `path` (its folder is created). */
export function saveBoxes(path: string, image: Tensor, boxes: Tensor | readonly (readonly number[])[], opts: DrawBoxesOptions = {}): void {
  writeImage("saveBoxes", path, drawBoxesPng(image, boxes, opts));
}
