// Felzenszwalb & Huttenlocher (2004), "Efficient Graph-Based Image Segmentation": pixels are the
// nodes of a graph whose edges join 8-neighbours, weighted by their colour distance on a
// Gaussian-smoothed image. Edges are visited by increasing weight; two components merge when the
// edge between them is no heavier than either one's internal difference plus k/|C| (so small
// components merge easily and k sets the scale of the result). Components still smaller than
// minSize are then merged along the lightest edges. Selective search starts from this
// over-segmentation.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { DisjointSet } from "./disjoint-set.js";
import { gaussianSmooth } from "./gaussian-filter.js";
import { checkImage } from "./check-image.js";

export interface SegmentationOptions {
  /** Scale: larger k prefers larger components (the threshold is k/|C|). Default 100. */
  k?: number;
  /** Standard deviation of the smoothing before the edge weights. Default 0.8. */
  sigma?: number;
  /** Components smaller than this many pixels are merged into a neighbour. Default 20. */
  minSize?: number;
}

export const SEGMENTATION_OPTIONS = optionNames<SegmentationOptions>({ k: 1, sigma: 1, minSize: 1 });

/** A label per pixel (row-major, 0 .. count − 1, numbered in order of first appearance). */
export interface Segmentation {
  labels: Int32Array;
  count: number;
  width: number;
  height: number;
}

/** Pixel values are scaled to 0..255 before the colour distances, so k keeps the paper's units. */
const INTENSITY_SCALE = 255;

/**
 * Segment an image given as channels (each height·width values in [0, 1]).
 * k > 0, sigma ≥ 0, minSize ≥ 1 (callers check them).
 */
export function segmentGraph(channels: readonly Float32Array[], width: number, height: number, k: number, sigma: number, minSize: number): Segmentation {
  return segmentEdges(imageGraph(channels, width, height, sigma), k, minSize);
}

/** The 8-neighbour graph of an image, its edges sorted by increasing weight: what every k segments. */
export interface ImageGraph extends Edges {
  width: number;
  height: number;
}

export function imageGraph(channels: readonly Float32Array[], width: number, height: number, sigma: number): ImageGraph {
  const smooth = channels.map((c) => gaussianSmooth(c, width, height, sigma));
  const edges = buildEdges(smooth, width, height);
  const order = sortByWeight(edges.weight);
  // Stored in sorted order, so the passes over them read memory in sequence.
  const m = order.length;
  const from = new Int32Array(m), to = new Int32Array(m), weight = new Float32Array(m);
  for (let e = 0; e < m; e++) {
    const i = order[e];
    from[e] = edges.from[i];
    to[e] = edges.to[i];
    weight[e] = edges.weight[i];
  }
  return { from, to, weight, width, height };
}

/** Felzenszwalb–Huttenlocher's merge pass over a graph at scale k, then the minSize pass. */
export function segmentEdges(graph: ImageGraph, k: number, minSize: number): Segmentation {
  const { from, to, weight, width, height } = graph;
  const n = width * height, m = weight.length;
  const set = new DisjointSet(n, k);
  for (let i = 0; i < m; i++) {
    const a = set.find(from[i]), b = set.find(to[i]);
    if (a === b) continue;
    const w = weight[i];
    if (w <= set.threshold[a] && w <= set.threshold[b]) {
      const root = set.join(a, b);
      // Edges come in increasing order, so w is the new component's largest MST edge.
      set.threshold[root] = w + k / set.size[root];
    }
  }
  for (let i = 0; i < m; i++) {
    const a = set.find(from[i]), b = set.find(to[i]);
    if (a !== b && (set.size[a] < minSize || set.size[b] < minSize)) set.join(a, b);
  }
  const labels = new Int32Array(n);
  const rootLabel = new Int32Array(n).fill(-1);
  let count = 0;
  for (let p = 0; p < n; p++) {
    const r = set.find(p);
    if (rootLabel[r] < 0) rootLabel[r] = count++;
    labels[p] = rootLabel[r];
  }
  return { labels, count, width, height };
}

interface Edges {
  from: Int32Array;
  to: Int32Array;
  weight: Float32Array;
}

/** Edges to the right, down, down-right and up-right neighbours: each 8-neighbour pair once. */
function buildEdges(channels: readonly Float32Array[], width: number, height: number): Edges {
  const max = 4 * width * height;
  const from = new Int32Array(max), to = new Int32Array(max), weight = new Float32Array(max);
  let m = 0;
  const add = (a: number, b: number): void => {
    let d = 0;
    for (const c of channels) {
      const v = (c[a] - c[b]) * INTENSITY_SCALE;
      d += v * v;
    }
    from[m] = a;
    to[m] = b;
    weight[m++] = Math.sqrt(d);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width) add(p, p + 1);
      if (y + 1 < height) add(p, p + width);
      if (x + 1 < width && y + 1 < height) add(p, p + width + 1);
      if (x + 1 < width && y > 0) add(p, p - width + 1);
    }
  }
  return { from: from.subarray(0, m), to: to.subarray(0, m), weight: weight.subarray(0, m) };
}

/**
 * Edge indices by increasing weight, ties by index (so the result is deterministic). Non-negative
 * float32 weights order like their bit patterns, so one numeric sort of bits·2^s + index does it
 * (exact in a double while the edge count fits in s ≤ 22 bits); larger images sort with a comparator.
 */
function sortByWeight(weight: Float32Array): Uint32Array {
  const m = weight.length;
  const bits = new Uint32Array(weight.buffer, weight.byteOffset, m);
  const shift = Math.max(1, Math.ceil(Math.log2(m + 1)));
  const order = new Uint32Array(m);
  if (shift <= 22) {
    const scale = 2 ** shift;
    const keys = new Float64Array(m);
    for (let i = 0; i < m; i++) keys[i] = bits[i] * scale + i;
    keys.sort();
    for (let i = 0; i < m; i++) order[i] = keys[i] % scale;
    return order;
  }
  for (let i = 0; i < m; i++) order[i] = i;
  return order.sort((a, b) => weight[a] - weight[b] || a - b);
}

/**
 * Felzenszwalb–Huttenlocher segmentation of an image [C, H, W] with values in [0, 1] (like
 * skimage.segmentation.felzenszwalb with pixel values on the 0..255 scale): returns the int32
 * label of each pixel [H, W] and the number of components.
 */
export function felzenszwalbSegmentation(image: Tensor, opts: SegmentationOptions = {}): { labels: Tensor; count: number } {
  const op = "felzenszwalbSegmentation";
  checkOptions(op, opts, SEGMENTATION_OPTIONS);
  const { channels, width, height } = checkImage(op, image, null);
  const { k, sigma, minSize } = checkSegmentationOptions(op, opts.k ?? 100, opts.sigma ?? 0.8, opts.minSize ?? 20);
  const seg = segmentGraph(channels, width, height, k, sigma, minSize);
  return { labels: tensor(seg.labels, { shape: [height, width], dtype: "int32" }), count: seg.count };
}

export function checkSegmentationOptions(op: string, k: number, sigma: number, minSize: number): { k: number; sigma: number; minSize: number } {
  if (typeof k !== "number" || !(k > 0) || !Number.isFinite(k)) throw new RangeError(`${op}: k must be a positive number, got ${String(k)}`);
  if (typeof sigma !== "number" || !(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`${op}: sigma must be a non-negative number, got ${String(sigma)}`);
  if (!Number.isInteger(minSize) || minSize < 1) throw new RangeError(`${op}: minSize must be a positive integer (pixels), got ${String(minSize)}`);
  return { k, sigma, minSize };
}
