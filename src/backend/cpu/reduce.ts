// Reductions of the cpu backend. One pass over x in memory order, combining each element into its
// output slot (out's strides are zero along the reduced axes). Float sums accumulate in float64.

import type { ArgReduceOp, ReduceOp, View } from "../backend.js";
import { arr, forEachRow } from "./strided.js";
import { numelOf } from "../../core/shape.js";

const IDENTITY: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

export function reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
  const xs = arr(x), os = arr(out);
  const m = numelOf(out.shape);
  if (numelOf(x.shape) === 0 && (op === "max" || op === "min") && m > 0) {
    throw new RangeError(`${op}: cannot reduce over a zero-size dimension (the result has no identity)`);
  }
  // Accumulator laid out like out (contiguous), with zero strides along reduced axes.
  const acc = new Float64Array(m).fill(IDENTITY[op]);
  const accStrides = new Array<number>(x.shape.length);
  let s = 1;
  for (let d = x.shape.length - 1; d >= 0; d--) {
    const reduced = axes.includes(d);
    accStrides[d] = reduced ? 0 : s;
    if (!reduced) s *= x.shape[d];
  }
  forEachRow(x.shape, [x.strides, accStrides], [x.offset, 0], (o, n, st) => {
    let xi = o[0], ai = o[1];
    const sx = st[0], sa = st[1];
    if (sa === 0) {
      // The whole row folds into one slot: keep the running value in a register.
      let v = acc[ai];
      switch (op) {
        case "sum": for (let i = 0; i < n; i++, xi += sx) v += xs[xi]; break;
        case "prod": for (let i = 0; i < n; i++, xi += sx) v *= xs[xi]; break;
        case "max": for (let i = 0; i < n; i++, xi += sx) { const e = xs[xi]; if (e > v || e !== e) v = e; if (v !== v) break; } break;
        case "min": for (let i = 0; i < n; i++, xi += sx) { const e = xs[xi]; if (e < v || e !== e) v = e; if (v !== v) break; } break;
      }
      acc[ai] = v;
      return;
    }
    switch (op) {
      case "sum": for (let i = 0; i < n; i++, xi += sx, ai += sa) acc[ai] += xs[xi]; break;
      case "prod": for (let i = 0; i < n; i++, xi += sx, ai += sa) acc[ai] *= xs[xi]; break;
      case "max": for (let i = 0; i < n; i++, xi += sx, ai += sa) { const e = xs[xi], a = acc[ai]; if (e > a || (e !== e && a === a)) acc[ai] = e; } break;
      case "min": for (let i = 0; i < n; i++, xi += sx, ai += sa) { const e = xs[xi], a = acc[ai]; if (e < a || (e !== e && a === a)) acc[ai] = e; } break;
    }
  });
  // Write back through out's own strides (out has x's rank, size 1 on reduced axes).
  const contiguousOut = new Array<number>(out.shape.length);
  s = 1;
  for (let d = out.shape.length - 1; d >= 0; d--) {
    contiguousOut[d] = s;
    s *= out.shape[d];
  }
  // A bool result (all/any as prod/sum of 0s and 1s) stores 1 for any non-zero count.
  const toBool = out.dtype === "bool";
  forEachRow(out.shape, [contiguousOut, out.strides], [0, out.offset], (o, n, st) => {
    let ai = o[0], oi = o[1];
    if (toBool) for (let i = 0; i < n; i++, ai += st[0], oi += st[1]) os[oi] = acc[ai] !== 0 ? 1 : 0;
    else for (let i = 0; i < n; i++, ai += st[0], oi += st[1]) os[oi] = acc[ai];
  });
}

export function argReduce(op: ArgReduceOp, x: View, axis: number, out: View): void {
  const xs = arr(x), os = arr(out);
  const len = x.shape[axis];
  if (len === 0) throw new RangeError(`${op}: cannot take ${op} over a zero-size dimension ${axis}`);
  const step = x.strides[axis];
  const outerShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const isMax = op === "argmax";
  forEachRow(outerShape, [x.strides, out.strides], [x.offset, out.offset], (o, n, st) => {
    let xi = o[0], oi = o[1];
    for (let r = 0; r < n; r++, xi += st[0], oi += st[1]) {
      let best = xs[xi], bestIdx = 0;
      for (let k = 1, p = xi + step; k < len; k++, p += step) {
        if (best !== best) break; // NaN wins, like PyTorch
        const e = xs[p];
        if (isMax ? e > best || e !== e : e < best || e !== e) {
          best = e;
          bestIdx = k;
        }
      }
      os[oi] = bestIdx;
    }
  });
}
