// Index kernels of the cpu backend: indexSelect / indexAdd (whole slices picked along one axis by
// a 1-d index) and gather / scatterAdd (one element per index position). Each kernel checks the
// shapes it is given and every index value before it reads or writes through it, so a bad call
// throws instead of touching memory outside the views.

import type { View } from "../backend.js";
import { arr, forEachRow } from "./strided.js";

function fail(op: string, message: string): never {
  throw new RangeError(`${op}: ${message}`);
}

function outOfRange(op: string, value: number, axis: number, size: number): never {
  fail(op, `index ${value} is out of range for dimension ${axis} of size ${size}`);
}

function assertAxis(op: string, axis: number, ndim: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= ndim) fail(op, `axis ${axis} is out of range for a view with ${ndim} dimension(s)`);
}

function without<T>(a: readonly T[], axis: number): T[] {
  return a.filter((_, i) => i !== axis);
}

/**
 * The element offsets (index value × stride along axis) of a 0-d or 1-d int32 index view, each
 * value checked against the size of the indexed dim.
 */
function indexOffsets(op: string, index: View, axis: number, size: number, stride: number): Int32Array | Float64Array {
  if (index.shape.length > 1) fail(op, `index must be a 0-d or 1-d view, got ${index.shape.length} dimensions`);
  const n = index.shape.length === 0 ? 1 : index.shape[0];
  const step = index.shape.length === 0 ? 0 : index.strides[0];
  const is = arr(index);
  // Int32 offsets keep the hot loops in integer arithmetic; huge buffers fall back to doubles.
  const offsets = Math.abs(stride) * size < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
  for (let j = 0, ii = index.offset; j < n; j++, ii += step) {
    const v = is[ii];
    if (v < 0 || v >= size) outOfRange(op, v, axis, size);
    offsets[j] = v * stride;
  }
  return offsets;
}

/** x and its whole-slice partner agree on every dim but axis, where the partner has n entries. */
function assertSliceShapes(op: string, x: View, other: View, axis: number, n: number, otherName: string): void {
  assertAxis(op, axis, x.shape.length);
  const ok = other.shape.length === x.shape.length && other.shape.every((s, i) => (i === axis ? s === n : s === x.shape[i]));
  if (!ok) fail(op, `${otherName} shape [${other.shape.join(", ")}] does not match [${x.shape.join(", ")}] with dimension ${axis} of size ${n}`);
}

/**
 * Walk the slices along `axis` that the index names, one call per row of the remaining dims:
 * `row` gets where that row starts in `indexed` and in `dense`, its length and strides, and
 * whether to run the index loop innermost (when it walks `dense`, the caller-allocated side,
 * with unit stride) or the row loop innermost.
 */
function walkSlices(
  indexed: View, dense: View, axis: number,
  row: (indexedAt: number, denseAt: number, n: number, indexedStride: number, denseStride: number, indexInnermost: boolean) => void,
): void {
  const restShape = without(indexed.shape, axis);
  const denseAxisStride = dense.strides[axis];
  forEachRow(restShape, [without(indexed.strides, axis), without(dense.strides, axis)], [indexed.offset, dense.offset], (o, n, s) =>
    row(o[0], o[1], n, s[0], s[1], s[1] !== 1 && Math.abs(denseAxisStride) === 1));
}

/** out[..., j, ...] = x[..., index[j], ...] along axis. */
export function indexSelect(x: View, axis: number, index: View, out: View): void {
  const op = "indexSelect";
  assertAxis(op, axis, x.shape.length);
  const offsets = indexOffsets(op, index, axis, x.shape[axis], x.strides[axis]);
  assertSliceShapes(op, x, out, axis, offsets.length, "out");
  const xs = arr(x), os = arr(out);
  const sameType = x.dtype === out.dtype;
  const m = offsets.length, oa = out.strides[axis];
  walkSlices(x, out, axis, (xRow, oRow, n, sx, so, indexInnermost) => {
    if (indexInnermost) {
      for (let k = 0; k < n; k++, xRow += sx, oRow += so) {
        for (let j = 0, oi = oRow; j < m; j++, oi += oa) os[oi] = xs[xRow + offsets[j]];
      }
      return;
    }
    for (let j = 0; j < m; j++) {
      let xi = xRow + offsets[j], oi = oRow + j * oa;
      // Whole contiguous rows (an embedding lookup) copy as one block.
      if (sx === 1 && so === 1 && sameType && n >= 16) (os as Float32Array).set((xs as Float32Array).subarray(xi, xi + n), oi);
      else for (let k = 0; k < n; k++, xi += sx, oi += so) os[oi] = xs[xi];
    }
  });
}

/** out[..., index[j], ...] += src[..., j, ...] along axis (repeated indices accumulate). */
export function indexAdd(out: View, axis: number, index: View, src: View): void {
  const op = "indexAdd";
  assertAxis(op, axis, out.shape.length);
  const offsets = indexOffsets(op, index, axis, out.shape[axis], out.strides[axis]);
  assertSliceShapes(op, out, src, axis, offsets.length, "src");
  const os = arr(out), ss = arr(src);
  const m = offsets.length, sa = src.strides[axis];
  walkSlices(out, src, axis, (oRow, sRow, n, so, ssd, indexInnermost) => {
    if (indexInnermost) {
      for (let k = 0; k < n; k++, oRow += so, sRow += ssd) {
        for (let j = 0, si = sRow; j < m; j++, si += sa) os[oRow + offsets[j]] += ss[si];
      }
      return;
    }
    for (let j = 0; j < m; j++) {
      for (let k = 0, oi = oRow + offsets[j], si = sRow + j * sa; k < n; k++, oi += so, si += ssd) os[oi] += ss[si];
    }
  });
}

/**
 * Shape rules shared by gather and scatterAdd: `index` has the rank of `target` and is no larger
 * than it on every dim but axis, and no larger than `values` on every dim.
 */
function assertElementShapes(op: string, target: View, axis: number, index: View, values: View, exactValues: boolean): void {
  const nd = target.shape.length;
  assertAxis(op, axis, nd);
  const fmt = (v: View): string => `[${v.shape.join(", ")}]`;
  if (index.shape.length !== nd || values.shape.length !== nd) {
    fail(op, `index ${fmt(index)} and values ${fmt(values)} must have the rank of the indexed view ${fmt(target)}`);
  }
  for (let d = 0; d < nd; d++) {
    const v = values.shape[d], i = index.shape[d];
    if ((exactValues ? v !== i : v < i) || (d !== axis && i > target.shape[d])) {
      fail(op, `index ${fmt(index)} does not fit the indexed view ${fmt(target)} (dimension ${axis} is indexed) and values ${fmt(values)}`);
    }
  }
}

/** Strides of v with a zero along axis: the index value supplies that coordinate. */
function strideFreeAlong(v: View, axis: number): number[] {
  return v.strides.map((s, i) => (i === axis ? 0 : s));
}

/** out[p] = x[p with coordinate axis replaced by index[p]], for every position p of index. */
export function gather(x: View, axis: number, index: View, out: View): void {
  const op = "gather";
  assertElementShapes(op, x, axis, index, out, true);
  const xs = arr(x), is = arr(index), os = arr(out);
  const size = x.shape[axis], xa = x.strides[axis];
  forEachRow(index.shape, [index.strides, out.strides, strideFreeAlong(x, axis)], [index.offset, out.offset, x.offset], (o, n, s) => {
    const si = s[0], so = s[1], sx = s[2];
    for (let k = 0, ii = o[0], oi = o[1], xi = o[2]; k < n; k++, ii += si, oi += so, xi += sx) {
      const v = is[ii];
      if (v < 0 || v >= size) outOfRange(op, v, axis, size);
      os[oi] = xs[xi + v * xa];
    }
  });
}

/** out[p with coordinate axis replaced by index[p]] += src[p], for every position p of index. */
export function scatterAdd(out: View, axis: number, index: View, src: View): void {
  const op = "scatterAdd";
  assertElementShapes(op, out, axis, index, src, false);
  const os = arr(out), is = arr(index), ss = arr(src);
  const size = out.shape[axis], oa = out.strides[axis];
  forEachRow(index.shape, [index.strides, src.strides, strideFreeAlong(out, axis)], [index.offset, src.offset, out.offset], (o, n, s) => {
    const si = s[0], ssd = s[1], so = s[2];
    for (let k = 0, ii = o[0], sj = o[1], oi = o[2]; k < n; k++, ii += si, sj += ssd, oi += so) {
      const v = is[ii];
      if (v < 0 || v >= size) outOfRange(op, v, axis, size);
      os[oi + v * oa] += ss[sj];
    }
  });
}
