// What selective search knows about a region (Uijlings et al. 2013, section 3.2): its size, its
// bounding box, a colour histogram (25 bins per channel) and a texture histogram (Gaussian
// derivatives with σ = 1 in 8 orientations per channel, 10 bins each), both L1-normalised. A
// merged region's histograms are the size-weighted mean of its parts', so they are never
// recomputed from pixels.

import { filterSeparable, gaussianDerivativeKernel, gaussianKernel } from "./gaussian-filter.js";
import type { Segmentation } from "./graph-segmentation.js";

export const COLOUR_BINS = 25;
export const TEXTURE_BINS = 10;
export const ORIENTATIONS = 8;

export interface Region {
  size: number;
  /** Bounding box of the region's pixels, inclusive pixel indices. */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  colour: Float32Array;
  texture: Float32Array;
}

/** Each pixel's colour-histogram bin, one array per channel. */
export function colourBinIndices(channels: readonly Float32Array[]): Uint8Array[] {
  return channels.map((c) => {
    const bins = new Uint8Array(c.length);
    for (let p = 0; p < c.length; p++) bins[p] = Math.min(COLOUR_BINS - 1, Math.floor(c[p] * COLOUR_BINS));
    return bins;
  });
}

/**
 * Each pixel's texture bin for every (channel, orientation): the positive part of the Gaussian
 * derivative along θ = k·45° (k = 0..7), binned over [0, the image's largest response].
 */
export function textureBinIndices(channels: readonly Float32Array[], width: number, height: number): Uint8Array[] {
  const g = gaussianKernel(1), dg = gaussianDerivativeKernel(1);
  const out: Uint8Array[] = [];
  const n = width * height;
  const response = new Float32Array(n);
  for (const c of channels) {
    const gx = filterSeparable(c, width, height, dg, g);
    const gy = filterSeparable(c, width, height, g, dg);
    for (let o = 0; o < ORIENTATIONS; o++) {
      const cos = Math.cos((o * Math.PI) / 4), sin = Math.sin((o * Math.PI) / 4);
      let max = 0;
      for (let p = 0; p < n; p++) {
        const r = Math.max(0, cos * gx[p] + sin * gy[p]);
        response[p] = r;
        if (r > max) max = r;
      }
      const bins = new Uint8Array(n);
      if (max > 0) {
        const scale = TEXTURE_BINS / max;
        for (let p = 0; p < n; p++) bins[p] = Math.min(TEXTURE_BINS - 1, Math.floor(response[p] * scale));
      }
      out.push(bins);
    }
  }
  return out;
}

/** One region per segment, with its histograms counted from the pixels. */
export function initialRegions(seg: Segmentation, colourBins: readonly Uint8Array[], textureBins: readonly Uint8Array[]): Region[] {
  const { labels, count, width } = seg;
  const colourLength = colourBins.length * COLOUR_BINS, textureLength = textureBins.length * TEXTURE_BINS;
  const colour = new Float32Array(count * colourLength), texture = new Float32Array(count * textureLength);
  const size = new Int32Array(count);
  const minX = new Int32Array(count).fill(width), minY = new Int32Array(count).fill(seg.height);
  const maxX = new Int32Array(count).fill(-1), maxY = new Int32Array(count).fill(-1);
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p], x = p % width, y = (p - x) / width;
    size[l]++;
    if (x < minX[l]) minX[l] = x;
    if (x > maxX[l]) maxX[l] = x;
    if (y < minY[l]) minY[l] = y;
    if (y > maxY[l]) maxY[l] = y;
    const cBase = l * colourLength;
    for (let c = 0; c < colourBins.length; c++) colour[cBase + c * COLOUR_BINS + colourBins[c][p]]++;
    const tBase = l * textureLength;
    for (let t = 0; t < textureBins.length; t++) texture[tBase + t * TEXTURE_BINS + textureBins[t][p]]++;
  }
  const regions: Region[] = [];
  for (let l = 0; l < count; l++) {
    const c = colour.subarray(l * colourLength, (l + 1) * colourLength);
    const t = texture.subarray(l * textureLength, (l + 1) * textureLength);
    // Every channel's histogram counts each pixel once: L1 norm = channels · size.
    scale(c, 1 / (colourBins.length * size[l]));
    scale(t, 1 / (textureBins.length * size[l]));
    regions.push({ size: size[l], minX: minX[l], minY: minY[l], maxX: maxX[l], maxY: maxY[l], colour: c, texture: t });
  }
  return regions;
}

function scale(a: Float32Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= s;
}

/** Adjacent segments (8-neighbourhood), each pair once as (a, b) with a < b, flattened. */
export function neighbourPairs(seg: Segmentation): Int32Array {
  const { labels, count, width, height } = seg;
  const seen = new Set<number>();
  const pairs: number[] = [];
  const visit = (a: number, b: number): void => {
    if (a === b) return;
    const lo = a < b ? a : b, hi = a < b ? b : a;
    const key = lo * count + hi;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push(lo, hi);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x, l = labels[p];
      if (x + 1 < width) visit(l, labels[p + 1]);
      if (y + 1 < height) visit(l, labels[p + width]);
      if (x + 1 < width && y + 1 < height) visit(l, labels[p + width + 1]);
      if (x + 1 < width && y > 0) visit(l, labels[p - width + 1]);
    }
  }
  return Int32Array.from(pairs);
}

/** The union of two regions: sizes add, boxes join, histograms average by size. */
export function mergeRegions(a: Region, b: Region): Region {
  const size = a.size + b.size, wa = a.size / size, wb = b.size / size;
  const mix = (x: Float32Array, y: Float32Array): Float32Array => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = wa * x[i] + wb * y[i];
    return out;
  };
  return {
    size,
    minX: Math.min(a.minX, b.minX), minY: Math.min(a.minY, b.minY),
    maxX: Math.max(a.maxX, b.maxX), maxY: Math.max(a.maxY, b.maxY),
    colour: mix(a.colour, b.colour), texture: mix(a.texture, b.texture),
  };
}
