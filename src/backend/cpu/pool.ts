// Pooling kernels of the cpu backend: max, average and adaptive pooling over 1, 2 or 3 spatial
// dims, forward and backward.
//
// Geometry. x is [N, C, ...spatial] contiguous; outputs and gradients are dense views the caller
// allocated. The number of windows per dim is read from out's (or gy's) shape, so a ceil-mode
// caller simply allocates the larger output; windows may then run past padAfter, and positions
// beyond it count for nothing. Window o of a dim covers o·stride - padBefore + j·dilation for
// j < kernel. padAfter is the real padding after the input: with countIncludePad, a window's
// divisor counts its taps in [-padBefore, L + padAfter), which is torch's rule (a ceil-mode
// window hanging past the padding is divided by less than the kernel size).
//
// Every kernel works plane by plane ((n, c) pairs) over per-dim tap tables built once per call:
// for each output position of a dim, the first in-range input offset its window touches and how
// many evenly spaced taps follow, so the hot loops are plain strided loops with no bounds checks.
// Fewer than 3 spatial dims are treated as 3 with leading size-1 dims, so one triple loop serves
// 1d, 2d and 3d.

import type { AvgPoolParams, View, WindowParams } from "../backend.js";
import { arr } from "./strided.js";
import { isDense, numelOf } from "../../core/shape.js";

/**
 * For one spatial dim: where each output position's window reads. The in-range taps of a window
 * are evenly spaced (dilation apart), so a window is its first in-range tap, a tap count and the
 * dim's step; offsets are already scaled by the dim's stride inside a plane.
 */
interface DimTaps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly step: number;
  /** Per output: taps inside [-padBefore, L + padAfter), padding included (avg divisor). */
  readonly padded: Int32Array;
}

/** The tap tables of all three (padded-to-3) spatial dims plus plane sizes. */
interface Geometry {
  readonly planes: number;
  readonly inPlane: number;
  readonly outPlane: number;
  readonly dims: readonly [DimTaps, DimTaps, DimTaps];
}

const TRIVIAL: DimTaps = { first: Int32Array.of(0), count: Int32Array.of(1), step: 1, padded: Int32Array.of(1) };

function assertDense(kernel: string, name: string, v: View): void {
  if (!isDense(v)) throw new Error(`${kernel}: ${name} must be contiguous (shape [${v.shape.join(", ")}], strides [${v.strides.join(", ")}])`);
}

function assertSpatial(kernel: string, x: View, out: View): number {
  const nd = x.shape.length - 2;
  if (nd < 1 || nd > 3 || out.shape.length !== x.shape.length || out.shape[0] !== x.shape[0] || out.shape[1] !== x.shape[1]) {
    throw new Error(`${kernel}: expected [N, C, ...spatial] operands with 1 to 3 spatial dims and matching N, C; got [${x.shape.join(", ")}] and [${out.shape.join(", ")}]`);
  }
  return nd;
}

/** Tap tables of a sliding window along one dim of length L with O outputs. */
function windowTaps(L: number, O: number, k: number, s: number, pb: number, pa: number, d: number, scale: number): DimTaps {
  const first = new Int32Array(O), count = new Int32Array(O), padded = new Int32Array(O);
  for (let o = 0; o < O; o++) {
    const start = o * s - pb;
    // Taps j with 0 <= start + j·d < L, and those inside the padded extent.
    const jLo = start >= 0 ? 0 : Math.ceil(-start / d);
    const jHi = Math.min(k, Math.ceil((L - start) / d));
    first[o] = (start + jLo * d) * scale;
    count[o] = Math.max(0, jHi - jLo);
    padded[o] = Math.max(0, Math.min(k, Math.ceil((L + pa - start) / d)));
  }
  return { first, count, step: d * scale, padded };
}

/** Tap tables of adaptive pooling: output o spans floor(o·L/O) .. ceil((o+1)·L/O). */
function adaptiveTaps(L: number, O: number, scale: number): DimTaps {
  const first = new Int32Array(O), count = new Int32Array(O);
  for (let o = 0; o < O; o++) {
    const lo = Math.floor((o * L) / O);
    const hi = Math.ceil(((o + 1) * L) / O);
    first[o] = lo * scale;
    count[o] = hi - lo;
  }
  return { first, count, step: scale, padded: count };
}

/** Build the geometry of x → out, padding the spatial dims to three. */
function geometry(x: View, out: View, tapsOf: (dim: number, L: number, O: number, scale: number) => DimTaps): Geometry {
  const nd = x.shape.length - 2;
  const inS = x.shape.slice(2), outS = out.shape.slice(2);
  const dims: DimTaps[] = [];
  for (let i = 0; i < 3 - nd; i++) dims.push(TRIVIAL);
  let scale = 1;
  const scales = new Array<number>(nd);
  for (let i = nd - 1; i >= 0; i--) {
    scales[i] = scale;
    scale *= inS[i];
  }
  for (let i = 0; i < nd; i++) dims.push(tapsOf(i, inS[i], outS[i], scales[i]));
  return {
    planes: x.shape[0] * x.shape[1],
    inPlane: numelOf(inS),
    outPlane: numelOf(outS),
    dims: dims as unknown as [DimTaps, DimTaps, DimTaps],
  };
}

function slidingGeometry(x: View, out: View, p: WindowParams): Geometry {
  return geometry(x, out, (i, L, O, scale) =>
    windowTaps(L, O, p.kernel[i], p.stride[i], p.padBefore[i], p.padAfter[i], p.dilation[i], scale));
}

function adaptiveGeometry(x: View, out: View): Geometry {
  return geometry(x, out, (_i, L, O, scale) => adaptiveTaps(L, O, scale));
}

// ---------------------------------------------------------------------------------------------
// max

/**
 * Max over each window, and the flat in-plane index of the winner. The first maximum wins ties;
 * a NaN wins over numbers and a later NaN over an earlier one (torch's `val > max || isnan(val)`).
 * A window of only -inf reports its first in-range tap; one with no in-range tap (possible with
 * dilation) gives -inf and index -1, which backward skips.
 */
function maxOverTaps(x: View, out: View, indices: View, g: Geometry): void {
  const xs = arr(x), os = arr(out), is = arr(indices);
  const [D, H, W] = g.dims;
  const OD = D.first.length, OH = H.first.length, OW = W.first.length;
  const dF = D.first, dN = D.count, dS = D.step, hF = H.first, hN = H.count, hS = H.step, wF = W.first, wN = W.count, wS = W.step;
  let oi = out.offset, ii = indices.offset;
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = x.offset + plane * g.inPlane;
    for (let od = 0; od < OD; od++) {
      const d0 = xo + dF[od], dEnd = d0 + dN[od] * dS;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hF[oh], hSpan = hN[oh] * hS;
        for (let ow = 0; ow < OW; ow++, oi++, ii++) {
          const w0 = wF[ow], wSpan = wN[ow] * wS;
          let best = -Infinity;
          let bestAt = dEnd > d0 && hSpan > 0 && wSpan > 0 ? d0 + h0 + w0 : xo - 1;
          for (let a = d0; a < dEnd; a += dS) {
            for (let b = a + h0, bEnd = b + hSpan; b < bEnd; b += hS) {
              for (let c = b + w0, cEnd = c + wSpan; c < cEnd; c += wS) {
                const v = xs[c];
                if (v > best || v !== v) {
                  best = v;
                  bestAt = c;
                }
              }
            }
          }
          os[oi] = best;
          is[ii] = bestAt - xo;
        }
      }
    }
  }
}

export function maxPool(x: View, out: View, indices: View, p: WindowParams): void {
  assertSpatial("maxPool", x, out);
  assertDense("maxPool", "x", x);
  assertDense("maxPool", "out", out);
  assertDense("maxPool", "indices", indices);
  if (numelOf(out.shape) === 0) return;
  maxOverTaps(x, out, indices, slidingGeometry(x, out, p));
}

export function adaptiveMaxPool(x: View, out: View, indices: View): void {
  assertSpatial("adaptiveMaxPool", x, out);
  assertDense("adaptiveMaxPool", "x", x);
  assertDense("adaptiveMaxPool", "out", out);
  assertDense("adaptiveMaxPool", "indices", indices);
  if (numelOf(out.shape) === 0) return;
  maxOverTaps(x, out, indices, adaptiveGeometry(x, out));
}

/** Route each output gradient to the input position its index names (accumulating overlaps). */
export function maxPoolBackward(gy: View, indices: View, gx: View): void {
  assertSpatial("maxPoolBackward", gx, gy);
  assertDense("maxPoolBackward", "gy", gy);
  assertDense("maxPoolBackward", "indices", indices);
  assertDense("maxPoolBackward", "gx", gx);
  const gs = arr(gy), is = arr(indices), xs = arr(gx);
  xs.fill(0, gx.offset, gx.offset + numelOf(gx.shape));
  const planes = gx.shape[0] * gx.shape[1];
  const inPlane = numelOf(gx.shape.slice(2)), outPlane = numelOf(gy.shape.slice(2));
  let gi = gy.offset, ii = indices.offset;
  for (let plane = 0; plane < planes; plane++) {
    const xo = gx.offset + plane * inPlane;
    for (let o = 0; o < outPlane; o++, gi++, ii++) {
      const at = is[ii];
      if (at >= 0) xs[xo + at] += gs[gi];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// average

/** Per output position of a dim, its factor of the divisor: taps counting padding, or only in-range ones. */
const divisorFactors = (t: DimTaps, countPadding: boolean): Int32Array => (countPadding ? t.padded : t.count);

/** Mean of each window (sum / divisor). Backward below walks the same loops, kept apart so each hot loop stays simple. */
function averageOverTaps(x: View, out: View, g: Geometry, countPadding: boolean, override: number): void {
  const xs = arr(x), os = arr(out);
  const [D, H, W] = g.dims;
  const OD = D.first.length, OH = H.first.length, OW = W.first.length;
  const dF = D.first, dN = D.count, dS = D.step, hF = H.first, hN = H.count, hS = H.step, wF = W.first, wN = W.count, wS = W.step;
  const fD = divisorFactors(D, countPadding), fH = divisorFactors(H, countPadding), fW = divisorFactors(W, countPadding);
  let oi = out.offset;
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = x.offset + plane * g.inPlane;
    for (let od = 0; od < OD; od++) {
      const d0 = xo + dF[od], dEnd = d0 + dN[od] * dS;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hF[oh], hSpan = hN[oh] * hS;
        const fDH = fD[od] * fH[oh];
        for (let ow = 0; ow < OW; ow++, oi++) {
          const w0 = wF[ow], wSpan = wN[ow] * wS;
          // A window that touches no input gives 0, as torch.
          if (dEnd === d0 || hSpan === 0 || wSpan === 0) {
            os[oi] = 0;
            continue;
          }
          let sum = 0;
          for (let a = d0; a < dEnd; a += dS) {
            for (let b = a + h0, bEnd = b + hSpan; b < bEnd; b += hS) {
              for (let c = b + w0, cEnd = c + wSpan; c < cEnd; c += wS) sum += xs[c];
            }
          }
          os[oi] = sum / (override !== 0 ? override : fDH * fW[ow]);
        }
      }
    }
  }
}

function averageBackwardOverTaps(gy: View, gx: View, g: Geometry, countPadding: boolean, override: number): void {
  const gs = arr(gy), xs = arr(gx);
  xs.fill(0, gx.offset, gx.offset + numelOf(gx.shape));
  const [D, H, W] = g.dims;
  const OD = D.first.length, OH = H.first.length, OW = W.first.length;
  const dF = D.first, dN = D.count, dS = D.step, hF = H.first, hN = H.count, hS = H.step, wF = W.first, wN = W.count, wS = W.step;
  const fD = divisorFactors(D, countPadding), fH = divisorFactors(H, countPadding), fW = divisorFactors(W, countPadding);
  let gi = gy.offset;
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = gx.offset + plane * g.inPlane;
    for (let od = 0; od < OD; od++) {
      const d0 = xo + dF[od], dEnd = d0 + dN[od] * dS;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hF[oh], hSpan = hN[oh] * hS;
        const fDH = fD[od] * fH[oh];
        for (let ow = 0; ow < OW; ow++, gi++) {
          const w0 = wF[ow], wSpan = wN[ow] * wS;
          if (dEnd === d0 || hSpan === 0 || wSpan === 0) continue;
          const share = gs[gi] / (override !== 0 ? override : fDH * fW[ow]);
          for (let a = d0; a < dEnd; a += dS) {
            for (let b = a + h0, bEnd = b + hSpan; b < bEnd; b += hS) {
              for (let c = b + w0, cEnd = c + wSpan; c < cEnd; c += wS) xs[c] += share;
            }
          }
        }
      }
    }
  }
}

function divisorOverrideOf(kernel: string, p: AvgPoolParams): number {
  const d = p.divisorOverride ?? 0;
  if (!Number.isFinite(d)) throw new Error(`${kernel}: divisorOverride must be a finite number, got ${d}`);
  return d;
}

export function avgPool(x: View, out: View, p: AvgPoolParams): void {
  assertSpatial("avgPool", x, out);
  assertDense("avgPool", "x", x);
  assertDense("avgPool", "out", out);
  if (numelOf(out.shape) === 0) return;
  averageOverTaps(x, out, slidingGeometry(x, out, p), p.countIncludePad, divisorOverrideOf("avgPool", p));
}

export function avgPoolBackward(gy: View, gx: View, p: AvgPoolParams): void {
  assertSpatial("avgPoolBackward", gx, gy);
  assertDense("avgPoolBackward", "gy", gy);
  assertDense("avgPoolBackward", "gx", gx);
  averageBackwardOverTaps(gy, gx, slidingGeometry(gx, gy, p), p.countIncludePad, divisorOverrideOf("avgPoolBackward", p));
}

export function adaptiveAvgPool(x: View, out: View): void {
  assertSpatial("adaptiveAvgPool", x, out);
  assertDense("adaptiveAvgPool", "x", x);
  assertDense("adaptiveAvgPool", "out", out);
  if (numelOf(out.shape) === 0) return;
  averageOverTaps(x, out, adaptiveGeometry(x, out), true, 0);
}

export function adaptiveAvgPoolBackward(gy: View, gx: View): void {
  assertSpatial("adaptiveAvgPoolBackward", gx, gy);
  assertDense("adaptiveAvgPoolBackward", "gy", gy);
  assertDense("adaptiveAvgPoolBackward", "gx", gx);
  averageBackwardOverTaps(gy, gx, adaptiveGeometry(gx, gy), true, 0);
}
