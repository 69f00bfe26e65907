// Histograms as TensorBoard stores them (HistogramProto): numpy.histogram's counting over bin
// edges, then torch.utils.tensorboard's trimming to the bins that hold values, where each bucket
// is named by its right edge and one empty bucket on the left keeps the lowest edge visible.

import type { HistogramValue } from "./event-proto.js";

/**
 * TensorFlow's default bucket edges (torch's `bins="tensorflow"`): 0 and ±1e-12·1.1^k up to 1e20,
 * so buckets are ~10% wide relative to their value at every scale.
 */
export const TENSORFLOW_BUCKET_EDGES: readonly number[] = (() => {
  const positive: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) positive.push(v);
  return [...positive.map((v) => -v).reverse(), 0, ...positive];
})();

export type HistogramBins = "tensorflow" | number | readonly number[];

/** Edges for `bins`: the TensorFlow default, `n` equal-width bins over the values' range, or given edges. */
function binEdges(bins: HistogramBins, min: number, max: number, tag: string): number[] {
  if (bins === "tensorflow") return TENSORFLOW_BUCKET_EDGES as number[];
  if (typeof bins === "number") {
    if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): bins must be "tensorflow", a positive integer or an array of edges, got ${bins}`);
    // numpy widens an empty range by 0.5 each side.
    const [lo, hi] = min === max ? [min - 0.5, max + 0.5] : [min, max];
    return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
  }
  if (!Array.isArray(bins) || bins.length < 2) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): bins must be "tensorflow", a positive integer or at least two edges`);
  for (let i = 1; i < bins.length; i++) {
    if (!(bins[i] >= bins[i - 1])) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): bin edges must increase, got ${bins[i - 1]} then ${bins[i]} at index ${i}`);
  }
  return [...bins];
}

/** Index of the last edge <= v (binary search), or -1. */
function lastEdgeAtOrBelow(edges: readonly number[], v: number): number {
  let lo = 0, hi = edges.length; // first edge > v lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** numpy.histogram counts: bins are [e_i, e_{i+1}), the last one closed; values outside are dropped. */
export function countInBins(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const nBins = edges.length - 1;
  const counts = new Array<number>(nBins).fill(0);
  const last = edges[nBins];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < edges[0] || v > last) continue;
    const bin = v === last ? nBins - 1 : lastEdgeAtOrBelow(edges, v);
    counts[Math.min(bin, nBins - 1)]++;
  }
  return counts;
}

/** The HistogramProto fields for `values` (finite numbers), as torch.utils.tensorboard writes them. */
export function makeHistogram(values: ArrayLike<number>, bins: HistogramBins, tag: string, maxBins?: number): HistogramValue {
  const n = values.length;
  if (n === 0) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): no values`);
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): value ${i} is ${v}; a histogram needs finite values`);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  let edges = binEdges(bins, min, max, tag);
  let counts = countInBins(values, edges);
  if (maxBins !== undefined) {
    if (!Number.isInteger(maxBins) || maxBins < 1) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): maxBins must be a positive integer, got ${maxBins}`);
    if (counts.length > maxBins) [counts, edges] = subsample(counts, edges, maxBins);
  }
  // The support: from the first to the last bin that holds a value.
  const first = counts.findIndex((c) => c > 0);
  if (first < 0) throw new RangeError(`addHistogram(${JSON.stringify(tag)}): every value (${min} to ${max}) lies outside the bin edges ${edges[0]} to ${edges[edges.length - 1]}`);
  let lastBin = counts.length - 1;
  while (counts[lastBin] === 0) lastBin--;
  // TensorBoard keeps only right edges: an empty bucket left of the support keeps the lowest edge.
  const bucket = first > 0 ? counts.slice(first - 1, lastBin + 1) : [0, ...counts.slice(0, lastBin + 1)];
  const bucketLimit = edges.slice(first, lastBin + 2);
  return { min, max, num: n, sum, sumSquares, bucketLimit, bucket };
}

/** torch's max_bins: merge runs of `k` adjacent bins (padding the last run with empty bins). */
function subsample(counts: number[], edges: number[], maxBins: number): [number[], number[]] {
  const k = Math.floor(counts.length / maxBins);
  const padded = counts.length % k === 0 ? counts : [...counts, ...new Array<number>(k - (counts.length % k)).fill(0)];
  const merged: number[] = [];
  for (let i = 0; i < padded.length; i += k) merged.push(padded.slice(i, i + k).reduce((a, b) => a + b, 0));
  const newEdges: number[] = [];
  for (let i = 0; i < edges.length - 1; i += k) newEdges.push(edges[i]);
  newEdges.length = merged.length;
  newEdges.push(edges[edges.length - 1]);
  return [merged, newEdges];
}
