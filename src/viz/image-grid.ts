// Small images laid out in a grid and encoded as PNG with pngjs (pure JavaScript): the raster
// behind nb.viz.filters and nb.viz.featureMaps. Tiles hold values already scaled to [0, 1];
// each tile pixel becomes a scale x scale block (nearest neighbour, so 3x3 kernels stay crisp).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import pngjs from "pngjs";

export type Colormap = "gray" | "viridis";
export const COLORMAPS: readonly Colormap[] = ["gray", "viridis"];

/** One small image: `channels` planes of height x width values in [0, 1] (RGB when 3). */
export interface Tile {
  height: number;
  width: number;
  channels: 1 | 3;
  data: Float32Array;
}

export interface GridOptions {
  /** Tiles per row (default: about square). */
  columns?: number;
  /** Pixels per tile pixel. */
  scale: number;
  /** Pixels between tiles and around the grid. */
  gap: number;
  /** How one-channel tiles are coloured. */
  colormap: Colormap;
  /** Gray level (0 to 255) of the gaps and the border (default 255, white). */
  background?: number;
}

/** Larger images are refused: they are a mistake (a wrong layer, a huge scale), not a picture. */
const MAX_SIDE = 16384;

// matplotlib's viridis at 0, 1/8, ..., 1; colours in between are interpolated.
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37],
];

function colour(v: number, map: Colormap, out: Uint8Array, at: number): void {
  const x = v < 0 ? 0 : v > 1 ? 1 : v;
  if (map === "gray") {
    const g = Math.round(x * 255);
    out[at] = g; out[at + 1] = g; out[at + 2] = g;
    return;
  }
  const pos = x * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(pos), VIRIDIS.length - 2);
  const f = pos - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  for (let c = 0; c < 3; c++) out[at + c] = Math.round(a[c] + (b[c] - a[c]) * f);
}

/** Scale values[start, start + length) to [0, 1] in place by their min and max; a constant block becomes `flat`. */
export function minMaxScale(values: Float32Array, start: number, length: number, flat: number): void {
  let lo = Infinity, hi = -Infinity;
  for (let i = start; i < start + length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  for (let i = start; i < start + length; i++) values[i] = range > 0 && Number.isFinite(range) ? (values[i] - lo) / range : flat;
}

/** Check an option that must be a positive integer at most max. */
export function positiveInt(where: string, name: string, v: unknown, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${where}: ${name} must be an integer from 1 to ${max}, got ${String(v)}`);
  return v;
}

/** The grid as PNG bytes, on a white background (or opts.background). */
export function gridToPng(tiles: Tile[], opts: GridOptions, where: string): Uint8Array {
  if (tiles.length === 0) throw new RangeError(`${where}: nothing to draw (no tiles)`);
  const { height: th, width: tw } = tiles[0];
  const columns = Math.min(opts.columns ?? Math.ceil(Math.sqrt(tiles.length)), tiles.length);
  const rows = Math.ceil(tiles.length / columns);
  const { scale, gap } = opts;
  const cellW = tw * scale, cellH = th * scale;
  const width = columns * cellW + (columns + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap;
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new RangeError(`${where}: the image would be ${width}x${height} pixels (at most ${MAX_SIDE} a side); lower scale or change columns`);
  }
  const png = new pngjs.PNG({ width, height });
  const buf = png.data;
  buf.fill(opts.background ?? 255);
  // The fill set alpha to the background's gray too: make every pixel opaque.
  for (let at = 3; at < buf.length; at += 4) buf[at] = 255;
  const rgb = new Uint8Array(3);
  tiles.forEach((tile, t) => {
    const x0 = gap + (t % columns) * (cellW + gap);
    const y0 = gap + Math.floor(t / columns) * (cellH + gap);
    const plane = tile.height * tile.width;
    for (let y = 0; y < tile.height; y++) {
      for (let x = 0; x < tile.width; x++) {
        const i = y * tile.width + x;
        if (tile.channels === 3) {
          for (let c = 0; c < 3; c++) {
            const v = tile.data[c * plane + i];
            rgb[c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
          }
        } else colour(tile.data[i], opts.colormap, rgb, 0);
        for (let dy = 0; dy < scale; dy++) {
          let at = ((y0 + y * scale + dy) * width + x0 + x * scale) * 4;
          for (let dx = 0; dx < scale; dx++, at += 4) {
            buf[at] = rgb[0]; buf[at + 1] = rgb[1]; buf[at + 2] = rgb[2]; buf[at + 3] = 255;
          }
        }
      }
    }
  });
  // Gray tiles are written as an 8-bit grayscale PNG: a quarter of the RGBA bytes, the same pixels.
  const gray = opts.colormap === "gray" && tiles.every((t) => t.channels === 1);
  const bytes = pngjs.PNG.sync.write(png, gray ? { colorType: 0 } : {});
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Write bytes to path, creating its folder; errors name the function and the path. */
export function writeImage(where: string, path: unknown, bytes: Uint8Array): void {
  if (typeof path !== "string" || path === "") throw new TypeError(`${where}: path must be a non-empty string, got ${JSON.stringify(path)}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`${where}: could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
