// Softmax and log-softmax along one axis, and their backward, on the cpu backend.
// Numerically stable: the row maximum is subtracted before exponentiating, and sums are kept in
// float64. Dense tensors take a cache-friendly path: a softmax over the last axis walks contiguous
// rows; over an inner axis it sweeps [len, inner] blocks row by row with float64 accumulators of
// length `inner`, so memory is always read in order. Other layouts walk each strided line.

import type { View } from "../backend.js";
import { arr, forEachRow } from "./strided.js";
import { isDense, numelOf } from "../../core/shape.js";

/** Largest [len, inner] block (elements) whose exponentials are cached in float64 scratch. */
const MAX_SCRATCH = 1 << 16;

/** [outer, len, inner] sizes of a dense tensor split at `axis`. */
function split3(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, shape[axis] ?? 1, inner];
}

/** Shape with `axis` set to 1, so forEachRow visits one start position per line along axis. */
function lineStarts(shape: readonly number[], axis: number): number[] {
  return shape.map((s, d) => (d === axis ? 1 : s));
}

export function softmax(x: View, axis: number, out: View, log: boolean): void {
  if (numelOf(x.shape) === 0) return;
  const xs = arr(x), os = arr(out);
  if (x.shape.length === 0) {
    softmaxLine(xs, x.offset, 0, os, out.offset, 0, 1, log, new Float64Array(1));
    return;
  }
  const len = x.shape[axis];
  if (isDense(x) && isDense(out)) {
    const [outer, , inner] = split3(x.shape, axis);
    if (inner === 1) {
      const scratch = new Float64Array(len);
      for (let r = 0; r < outer; r++) softmaxLine(xs, x.offset + r * len, 1, os, out.offset + r * len, 1, len, log, scratch);
    } else {
      softmaxBlocks(xs, x.offset, os, out.offset, outer, len, inner, log);
    }
    return;
  }
  const scratch = new Float64Array(len);
  const sx = x.strides[axis], so = out.strides[axis];
  forEachRow(lineStarts(x.shape, axis), [x.strides, out.strides], [x.offset, out.offset], (o, n, st) => {
    let xi = o[0], oi = o[1];
    for (let r = 0; r < n; r++, xi += st[0], oi += st[1]) softmaxLine(xs, xi, sx, os, oi, so, len, log, scratch);
  });
}

/** (log-)softmax of one line of `len` elements; scratch holds the shifted values in float64. */
function softmaxLine(
  xs: ArrayLike<number>, xi: number, sx: number, os: { [i: number]: number }, oi: number, so: number,
  len: number, log: boolean, scratch: Float64Array,
): void {
  let m = -Infinity;
  for (let i = 0, p = xi; i < len; i++, p += sx) {
    const v = xs[p];
    if (v > m || v !== v) m = v;
    if (m !== m) break;
  }
  // A row of -inf (or holding +inf or NaN) gives NaN through inf - inf, as in PyTorch.
  let sum = 0;
  if (log) {
    for (let i = 0, p = xi; i < len; i++, p += sx) {
      const d = xs[p] - m;
      scratch[i] = d;
      sum += Math.exp(d);
    }
    const lse = Math.log(sum);
    for (let i = 0, q = oi; i < len; i++, q += so) os[q] = scratch[i] - lse;
  } else {
    for (let i = 0, p = xi; i < len; i++, p += sx) {
      const e = Math.exp(xs[p] - m);
      scratch[i] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let i = 0, q = oi; i < len; i++, q += so) os[q] = scratch[i] * inv;
  }
}

/** Dense softmax over an inner axis: x is [outer, len, inner], reduced over len. */
function softmaxBlocks(
  xs: ArrayLike<number>, xOff: number, os: { [i: number]: number }, oOff: number,
  outer: number, len: number, inner: number, log: boolean,
): void {
  const m = new Float64Array(inner);
  const sum = new Float64Array(inner);
  const block = len * inner;
  // The block's exponentials are kept for the final pass unless the block is huge.
  const keep = !log && block <= MAX_SCRATCH ? new Float64Array(block) : null;
  for (let r = 0; r < outer; r++) {
    const xb = xOff + r * block, ob = oOff + r * block;
    m.fill(-Infinity);
    sum.fill(0);
    for (let i = 0; i < len; i++) {
      const p = xb + i * inner;
      for (let j = 0; j < inner; j++) {
        const v = xs[p + j];
        if (v > m[j] || v !== v) m[j] = v;
      }
    }
    for (let i = 0; i < len; i++) {
      const p = xb + i * inner, k = i * inner;
      if (keep) {
        for (let j = 0; j < inner; j++) {
          const e = Math.exp(xs[p + j] - m[j]);
          keep[k + j] = e;
          sum[j] += e;
        }
      } else {
        for (let j = 0; j < inner; j++) sum[j] += Math.exp(xs[p + j] - m[j]);
      }
    }
    if (log) {
      for (let j = 0; j < inner; j++) sum[j] = m[j] + Math.log(sum[j]);
      for (let i = 0; i < len; i++) {
        const p = xb + i * inner, q = ob + i * inner;
        for (let j = 0; j < inner; j++) os[q + j] = xs[p + j] - sum[j];
      }
    } else {
      for (let j = 0; j < inner; j++) sum[j] = 1 / sum[j];
      for (let i = 0; i < len; i++) {
        const p = xb + i * inner, q = ob + i * inner, k = i * inner;
        if (keep) for (let j = 0; j < inner; j++) os[q + j] = keep[k + j] * sum[j];
        else for (let j = 0; j < inner; j++) os[q + j] = Math.exp(xs[p + j] - m[j]) * sum[j];
      }
    }
  }
}

/**
 * dx from y = (log-)softmax(x) and dy along axis:
 *   softmax:     dx = y · (dy − Σ dy·y)
 *   log-softmax: dx = dy − exp(y) · Σ dy
 */
export function softmaxBackward(y: View, gy: View, axis: number, gx: View, log: boolean): void {
  if (numelOf(y.shape) === 0) return;
  const ys = arr(y), gs = arr(gy), xs = arr(gx);
  if (y.shape.length === 0) {
    backwardLine(ys, y.offset, 0, gs, gy.offset, 0, xs, gx.offset, 0, 1, log);
    return;
  }
  const len = y.shape[axis];
  if (isDense(y) && isDense(gy) && isDense(gx)) {
    const [outer, , inner] = split3(y.shape, axis);
    if (inner === 1) {
      for (let r = 0; r < outer; r++) {
        const k = r * len;
        backwardLine(ys, y.offset + k, 1, gs, gy.offset + k, 1, xs, gx.offset + k, 1, len, log);
      }
    } else {
      backwardBlocks(ys, y.offset, gs, gy.offset, xs, gx.offset, outer, len, inner, log);
    }
    return;
  }
  const sy = y.strides[axis], sg = gy.strides[axis], sx = gx.strides[axis];
  forEachRow(lineStarts(y.shape, axis), [y.strides, gy.strides, gx.strides], [y.offset, gy.offset, gx.offset], (o, n, st) => {
    let yi = o[0], gi = o[1], xi = o[2];
    for (let r = 0; r < n; r++, yi += st[0], gi += st[1], xi += st[2]) {
      backwardLine(ys, yi, sy, gs, gi, sg, xs, xi, sx, len, log);
    }
  });
}

function backwardLine(
  ys: ArrayLike<number>, yi: number, sy: number, gs: ArrayLike<number>, gi: number, sg: number,
  xs: { [i: number]: number }, xi: number, sx: number, len: number, log: boolean,
): void {
  let dot = 0;
  if (log) {
    for (let i = 0, q = gi; i < len; i++, q += sg) dot += gs[q];
    for (let i = 0, p = yi, q = gi, w = xi; i < len; i++, p += sy, q += sg, w += sx) xs[w] = gs[q] - Math.exp(ys[p]) * dot;
  } else {
    for (let i = 0, p = yi, q = gi; i < len; i++, p += sy, q += sg) dot += gs[q] * ys[p];
    for (let i = 0, p = yi, q = gi, w = xi; i < len; i++, p += sy, q += sg, w += sx) xs[w] = ys[p] * (gs[q] - dot);
  }
}

function backwardBlocks(
  ys: ArrayLike<number>, yOff: number, gs: ArrayLike<number>, gOff: number, xs: { [i: number]: number }, xOff: number,
  outer: number, len: number, inner: number, log: boolean,
): void {
  const dot = new Float64Array(inner);
  const block = len * inner;
  for (let r = 0; r < outer; r++) {
    const yb = yOff + r * block, gb = gOff + r * block, xb = xOff + r * block;
    dot.fill(0);
    for (let i = 0; i < len; i++) {
      const p = yb + i * inner, q = gb + i * inner;
      if (log) for (let j = 0; j < inner; j++) dot[j] += gs[q + j];
      else for (let j = 0; j < inner; j++) dot[j] += gs[q + j] * ys[p + j];
    }
    for (let i = 0; i < len; i++) {
      const p = yb + i * inner, q = gb + i * inner, w = xb + i * inner;
      if (log) for (let j = 0; j < inner; j++) xs[w + j] = gs[q + j] - Math.exp(ys[p + j]) * dot[j];
      else for (let j = 0; j < inner; j++) xs[w + j] = ys[p + j] * (gs[q + j] - dot[j]);
    }
  }
}
