// The call description handed to every native kernel: one reused Float64Array holding, after its
// own length, the kernel's numbers and each view as (dtype, buffer slot, offset, rank, shape…,
// strides…). Buffers travel as separate arguments; slot k is the k-th of them (1-based). Reusing
// one array keeps a kernel call free of allocations on the JavaScript side.

import type { View } from "../backend.js";
import { DTYPE_CODE } from "./codes.js";

let meta = new Float64Array(1024);
let pos = 1;

/** Start describing a call. */
export function begin(): void {
  pos = 1;
}

function room(n: number): void {
  if (pos + n <= meta.length) return;
  const bigger = new Float64Array(Math.max(meta.length * 2, pos + n));
  bigger.set(meta.subarray(0, pos));
  meta = bigger;
}

export function num(v: number): void {
  room(1);
  meta[pos++] = v;
}

export function nums(values: readonly number[]): void {
  room(values.length);
  for (const v of values) meta[pos++] = v;
}

/** Describe a view whose buffer is passed as argument `slot` (1-based, after meta). */
export function view(v: View, slot: number): void {
  const r = v.shape.length;
  room(4 + 2 * r);
  meta[pos++] = DTYPE_CODE[v.dtype];
  meta[pos++] = slot;
  meta[pos++] = v.offset;
  meta[pos++] = r;
  for (let i = 0; i < r; i++) meta[pos++] = v.shape[i];
  for (let i = 0; i < r; i++) meta[pos++] = v.strides[i];
}

/** Finish the description: the array to pass as the first argument. */
export function end(): Float64Array {
  meta[0] = pos;
  return meta;
}
