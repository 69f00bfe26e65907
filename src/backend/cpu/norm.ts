// Normalisation kernels of the cpu backend: per-row moments (layer/group/instance norm), per-channel
// moments of [N, C, S] data (batch norm), batch norm's affine apply and its training-mode backward.
// Data is walked as [N, C, S] with one stride per axis, so the inner loop is a plain strided loop;
// views whose spatial dims cannot be merged into one stride are copied to a dense scratch first.
// Statistics accumulate in float64 and use two passes (mean, then squared deviations) for accuracy.

import type { View } from "../backend.js";
import { contiguousStrides, isDense, numelOf } from "../../core/shape.js";
import { arr, forEachRow } from "./strided.js";

type Values = { [i: number]: number; readonly length: number };

/** A [N, C, S] walk over a buffer: element (n, c, s) lives at off + n·sn + c·sc + s·ss. */
interface Grid {
  buf: Values;
  off: number;
  n: number;
  c: number;
  s: number;
  sn: number;
  sc: number;
  ss: number;
}

/** The grid of a view shaped [N, C, ...spatial], or null when the spatial dims do not merge. */
function gridOf(v: View): Grid | null {
  const shape = v.shape, strides = v.strides;
  if (shape.length < 2) throw new RangeError(`normalization kernel: expected a view of shape [N, C, ...], got rank ${shape.length}`);
  let s = 1, ss = 1, expected = -1;
  for (let d = shape.length - 1; d >= 2; d--) {
    if (shape[d] === 1) continue;
    if (expected === -1) ss = strides[d];
    else if (strides[d] !== expected) return null;
    expected = strides[d] * shape[d];
    s *= shape[d];
  }
  return { buf: arr(v), off: v.offset, n: shape[0], c: shape[1], s, sn: strides[0], sc: strides[1], ss };
}

/** A dense [N, C, S] grid over a scratch copy of v's elements in row-major order. */
function denseGrid(v: View, data: Values): Grid {
  const s = numelOf(v.shape.slice(2));
  return { buf: data, off: 0, n: v.shape[0], c: v.shape[1], s, sn: v.shape[1] * s, sc: s, ss: 1 };
}

/** Row-major float64 copy of any view. */
function toDense(v: View): Float64Array {
  const out = new Float64Array(numelOf(v.shape));
  const src = arr(v);
  forEachRow(v.shape, [v.strides, contiguousStrides(v.shape)], [v.offset, 0], (o, n, st) => {
    let p = o[0], q = o[1];
    for (let i = 0; i < n; i++, p += st[0], q += st[1]) out[q] = src[p];
  });
  return out;
}

/** Write row-major values back through a view's strides. */
function fromDense(v: View, data: Float64Array): void {
  const dst = arr(v);
  forEachRow(v.shape, [contiguousStrides(v.shape), v.strides], [0, v.offset], (o, n, st) => {
    let p = o[0], q = o[1];
    for (let i = 0; i < n; i++, p += st[0], q += st[1]) dst[q] = data[p];
  });
}

/** A readable grid for an input view (copying it when its layout needs that). */
function inputGrid(v: View): Grid {
  return gridOf(v) ?? denseGrid(v, toDense(v));
}

/** A writable grid for an output view, plus a flush that scatters a scratch copy when one was needed. */
function outputGrid(v: View): [Grid, () => void] {
  const g = gridOf(v);
  if (g) return [g, () => {}];
  const scratch = new Float64Array(numelOf(v.shape));
  return [denseGrid(v, scratch), () => fromDense(v, scratch)];
}

/** Per-channel (or per-row) vectors are small: read and write them through float64 copies. */
const readVec = (v: View): Float64Array => toDense(v);
const writeVec = (v: View, values: Float64Array): void => fromDense(v, values);

export function moments(x: View, rows: number, cols: number, eps: number, mean: View, rstd: View): void {
  if (rows === 0) return;
  if (numelOf(x.shape) !== rows * cols) {
    throw new RangeError(`moments: x has ${numelOf(x.shape)} elements, expected rows·cols = ${rows}·${cols}`);
  }
  let xs: Values = arr(x), base = x.offset, rowStride = cols, colStride = 1;
  if (!isDense(x)) {
    if (x.shape.length === 2) [rowStride, colStride] = x.strides;
    else [xs, base] = [toDense(x), 0];
  }
  const m = new Float64Array(rows), r = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const start = base + i * rowStride;
    let sum = 0;
    for (let j = 0, p = start; j < cols; j++, p += colStride) sum += xs[p];
    const mu = sum / cols;
    let sq = 0;
    for (let j = 0, p = start; j < cols; j++, p += colStride) {
      const d = xs[p] - mu;
      sq += d * d;
    }
    m[i] = mu;
    r[i] = 1 / Math.sqrt(sq / cols + eps);
  }
  writeVec(mean, m);
  writeVec(rstd, r);
}

export function channelMoments(x: View, mean: View, variance: View): void {
  const g = inputGrid(x);
  const count = g.n * g.s;
  const sums = new Float64Array(g.c);
  forEachChannelLine(g, (c, p, step, len, xs) => {
    let acc = 0;
    for (let k = 0; k < len; k++, p += step) acc += xs[p];
    sums[c] += acc;
  });
  const mu = sums.map((v) => v / count);
  const sq = new Float64Array(g.c);
  forEachChannelLine(g, (c, p, step, len, xs) => {
    const m = mu[c];
    let acc = 0;
    for (let k = 0; k < len; k++, p += step) {
      const d = xs[p] - m;
      acc += d * d;
    }
    sq[c] += acc;
  });
  writeVec(mean, mu);
  writeVec(variance, sq.map((v) => v / count));
}

/** Visit every (n, c) line of S elements: body(c, start, stride, S, buffer). */
function forEachChannelLine(g: Grid, body: (c: number, start: number, step: number, len: number, xs: Values) => void): void {
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) body(c, g.off + n * g.sn + c * g.sc, g.ss, g.s, g.buf);
  }
}

export function batchNormApply(x: View, mean: View, rstd: View, weight: View | null, bias: View | null, out: View): void {
  if (numelOf(x.shape) === 0) return;
  const gx = inputGrid(x);
  const [go, flush] = outputGrid(out);
  const mu = readVec(mean), r = readVec(rstd);
  const w = weight ? readVec(weight) : null, b = bias ? readVec(bias) : null;
  // y = x·scale + shift with scale = rstd·w and shift = b − mean·scale, folded per channel.
  const scale = new Float64Array(gx.c), shift = new Float64Array(gx.c);
  for (let c = 0; c < gx.c; c++) {
    scale[c] = r[c] * (w ? w[c] : 1);
    shift[c] = (b ? b[c] : 0) - mu[c] * scale[c];
  }
  const xs = gx.buf, os = go.buf, S = gx.s;
  for (let n = 0; n < gx.n; n++) {
    for (let c = 0; c < gx.c; c++) {
      let p = gx.off + n * gx.sn + c * gx.sc, q = go.off + n * go.sn + c * go.sc;
      const a = scale[c], k = shift[c];
      for (let i = 0; i < S; i++, p += gx.ss, q += go.ss) os[q] = xs[p] * a + k;
    }
  }
  flush();
}

/**
 * Training-mode batch norm backward, with M = N·S values per channel and x̂ = (x − mean)·rstd:
 *   gBias[c]   = Σ gy
 *   gWeight[c] = Σ gy·x̂
 *   gx         = w·rstd/M · (M·gy − gBias − x̂·gWeight)
 */
export function batchNormBackward(
  gy: View, x: View, mean: View, rstd: View, weight: View | null,
  gx: View, gWeight: View | null, gBias: View | null,
): void {
  const gg = inputGrid(gy), xg = inputGrid(x);
  const [og, flush] = outputGrid(gx);
  const C = xg.c, S = xg.s, M = xg.n * S;
  const mu = readVec(mean), r = readVec(rstd), w = weight ? readVec(weight) : null;
  const sumG = new Float64Array(C), sumGX = new Float64Array(C);
  const gs = gg.buf, xs = xg.buf, os = og.buf;
  for (let n = 0; n < xg.n; n++) {
    for (let c = 0; c < C; c++) {
      let p = gg.off + n * gg.sn + c * gg.sc, q = xg.off + n * xg.sn + c * xg.sc;
      const m = mu[c];
      let a = 0, b = 0;
      for (let i = 0; i < S; i++, p += gg.ss, q += xg.ss) {
        const g = gs[p];
        a += g;
        b += g * (xs[q] - m);
      }
      sumG[c] += a;
      sumGX[c] += b;
    }
  }
  // Σ gy·x̂ = rstd · Σ gy·(x − mean)
  for (let c = 0; c < C; c++) sumGX[c] *= r[c];
  if (M > 0) {
    for (let n = 0; n < xg.n; n++) {
      for (let c = 0; c < C; c++) {
        let p = gg.off + n * gg.sn + c * gg.sc, q = xg.off + n * xg.sn + c * xg.sc, o = og.off + n * og.sn + c * og.sc;
        const k = (w ? w[c] : 1) * r[c];
        const meanG = sumG[c] / M, slope = (sumGX[c] / M) * r[c], m = mu[c];
        for (let i = 0; i < S; i++, p += gg.ss, q += xg.ss, o += og.ss) {
          os[o] = k * (gs[p] - meanG - (xs[q] - m) * slope);
        }
      }
    }
  }
  flush();
  if (gWeight) writeVec(gWeight, sumGX);
  if (gBias) writeVec(gBias, sumG);
}
