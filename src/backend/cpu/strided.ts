// Walking strided views row by row. Kernels collapse dimensions that are contiguous for every
// operand, then get one callback per innermost row with its starting offsets, so the hot loop
// is a plain strided loop over typed arrays.

import type { View } from "../backend.js";
import type { TypedArray } from "../../core/dtype.js";

export function arr(v: View): TypedArray {
  return v.buf as TypedArray;
}

/** Merge adjacent dims that are contiguous in every operand and drop size-1 dims. */
export function collapse(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Call body(offsets, n, innerStrides) once per innermost row of `shape`, for any number of
 * operands; offsets[k] is where row starts in operand k.
 */
export function forEachRow(
  shape: readonly number[],
  strides: (readonly number[])[],
  baseOffsets: readonly number[],
  body: (offsets: number[], n: number, inner: number[]) => void,
): void {
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const c = collapse(shape, strides);
  const nd = c.shape.length;
  const offs = [...baseOffsets];
  if (nd === 0) {
    body(offs, 1, strides.map(() => 0));
    return;
  }
  const n = c.shape[nd - 1];
  const inner = c.strides.map((s) => s[nd - 1]);
  const outer = nd - 1;
  const idx = new Array<number>(outer).fill(0);
  const k = strides.length;
  for (;;) {
    body(offs, n, inner); // shared array: bodies read it, never write it
    // Advance the outer counter like an odometer.
    let d = outer - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offs[j] += c.strides[j][d];
      if (idx[d] < c.shape[d]) break;
      for (let j = 0; j < k; j++) offs[j] -= c.strides[j][d] * c.shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}
