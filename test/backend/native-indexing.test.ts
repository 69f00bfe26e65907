// The native backend's index kernels (indexSelect, indexAdd, gather, scatterAdd), argmax/argmin
// and its int32 binary ops and reductions against the cpu backend (the oracle), on random shapes:
// odd sizes, size 1, empty, non-contiguous views (offsets, gaps, permuted and column-major strides),
// strided, reversed and broadcast (zero-stride) indices, repeated indices, on 1-3 threads. Every
// comparison is exact: these kernels move values, compare them, or add them in cpu's order.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend, View } from "../../src/backend/backend.js";
import type { DType, TypedArray } from "../../src/core/dtype.js";
import { INT32_BINARY, BINARY_PREDICATES } from "../../src/backend/addon-abi/codes.js";
import { setNativeThreads, nativeInfo } from "../../src/backend/native/index.js";
import {
  EXACT, Rng, assertBuffersClose, broadcastDims, compareKernel, cpu, native, randomView, skipNative, withoutCpuKernels, type Layout,
} from "./native-helpers.js";

const LAYOUTS: Layout[] = ["dense", "offset", "gapped", "permuted", "reversed-strides"];
const SHAPES: number[][] = [[1], [7], [3, 1, 5], [4, 5, 6], [2, 0, 3], [1, 1, 1, 9], [33, 17]];
const ALL_DTYPES: DType[] = ["float32", "float64", "int32", "bool"];
const ADD_DTYPES: DType[] = ["float32", "float64", "int32"];

/** An int32 index view of `shape` whose values (the whole buffer) lie in [0, size). */
function indexView(shape: number[], size: number, rng: Rng, layout: Layout = "dense"): View {
  const v = randomView(shape, rng, { dtype: "int32", layout });
  const b = v.buf as Int32Array;
  for (let i = 0; i < b.length; i++) b[i] = size > 0 ? rng.int(0, size - 1) : 0;
  return v;
}

/** A 1-d index of m values in [0, size) read with stride `step` (negative: backwards). */
function stridedIndex(m: number, size: number, step: number, rng: Rng): View {
  const a = Math.abs(step);
  const buf = new Int32Array(Math.max(1, (m - 1) * a + 1) + 2);
  for (let i = 0; i < buf.length; i++) buf[i] = size > 0 ? rng.int(0, size - 1) : 0;
  return { buf, dtype: "int32", shape: [m], strides: [step], offset: step < 0 ? Math.max(0, (m - 1) * a) : 1 };
}

/** A random 0-d, 1-d contiguous, strided or reversed index of m values in [0, size). */
function sliceIndex(m: number, size: number, rng: Rng): View {
  if (m === 1 && rng.next() < 0.3) return { ...indexView([1], size, rng), shape: [], strides: [] };
  const kind = rng.int(0, 2);
  if (kind === 0) return indexView([m], size, rng, "offset");
  return stridedIndex(m, size, kind === 1 ? 3 : -2, rng);
}

/** Data with large int32 magnitudes mixed in (adds and sums must wrap modulo 2^32 like cpu's stores). */
function withLargeInts(v: View, rng: Rng): View {
  if (v.dtype !== "int32") return v;
  const b = v.buf as Int32Array;
  for (let i = 0; i < b.length; i += 3) b[i] = rng.int(-2147483648, 2147483647);
  return v;
}

/** Values drawn from a few numbers (NaN among them for floats) so lines have ties. */
function withTies(v: View, rng: Rng): View {
  const b = v.buf as TypedArray;
  const pool = v.dtype === "bool" ? [0, 1] : v.dtype === "int32" ? [-1, 0, 1, 2] : [-1, 0, 1, 2, -Infinity, Infinity, NaN];
  for (let i = 0; i < b.length; i++) b[i] = rng.pick(pool);
  return v;
}

test("argmax/argmin: every axis, every dtype, ties and NaN (first occurrence, NaN wins), any layout", { skip: skipNative }, () => {
  const rng = new Rng(101);
  for (const dtype of ALL_DTYPES) {
    for (const shape of [...SHAPES, [70, 3], [5, 130]]) {
      for (let axis = 0; axis < shape.length; axis++) {
        if (shape[axis] === 0) continue; // a zero-size axis is cpu's error (covered below)
        for (const op of ["argmax", "argmin"] as const) {
          const x = randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: true });
          if (rng.next() < 0.5) withTies(x, rng);
          const outShape = shape.map((d, i) => (i === axis ? 1 : d));
          const out = randomView(outShape, rng, { dtype: "int32", layout: rng.pick(LAYOUTS) });
          compareKernel(`${op} ${dtype} [${shape}] axis ${axis}`, [out], EXACT, (b, [o]) => b.argReduce(op, x, axis, o));
        }
      }
    }
  }
  // A broadcast x (zero strides off the axis) and a broadcast line (zero stride along it).
  const x = broadcastDims(randomView([6, 9], rng, { special: true }), [0]);
  compareKernel("argmax of a broadcast x", [randomView([1, 9], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.argReduce("argmax", x, 0, o));
  compareKernel("argmin along a broadcast line", [randomView([6, 1], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.argReduce("argmin", broadcastDims(x, [1]), 1, o));
});

test("argmax over a zero-size axis keeps the cpu kernel's error", { skip: skipNative }, () => {
  const x = randomView([3, 0], new Rng(102));
  const out = randomView([3, 1], new Rng(103), { dtype: "int32" });
  assert.throws(() => native().argReduce("argmax", x, 1, out), /argmax: cannot take argmax over a zero-size dimension 1/);
});

test("indexSelect: every axis and dtype, 0-d/strided/reversed/repeated indices, empty index, any layout", { skip: skipNative }, () => {
  const rng = new Rng(104);
  for (const dtype of ALL_DTYPES) {
    for (const shape of SHAPES) {
      for (let axis = 0; axis < shape.length; axis++) {
        const size = shape[axis];
        const m = size === 0 ? 0 : rng.pick([1, 2, 5, 20]);
        const x = randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: true });
        const index = sliceIndex(m, size, rng);
        const outShape = shape.map((d, i) => (i === axis ? m : d));
        const out = randomView(outShape, rng, { dtype, layout: rng.pick(LAYOUTS) });
        compareKernel(`indexSelect ${dtype} [${shape}] axis ${axis} m ${m}`, [out], EXACT, (b, [o]) => b.indexSelect(x, axis, index, o));
      }
    }
  }
  // Contiguous rows (an embedding lookup, block copies) and an empty index on a non-empty axis.
  const table = randomView([50, 24], rng);
  const ids = indexView([40], 50, rng), none = indexView([0], 50, rng);
  compareKernel("embedding lookup", [randomView([40, 24], rng)], EXACT, (b, [o]) => b.indexSelect(table, 0, ids, o));
  compareKernel("empty index", [randomView([0, 24], rng)], EXACT, (b, [o]) => b.indexSelect(table, 0, none, o));
});

test("indexAdd: float32, float64 and int32 (wrapping), repeated indices add in cpu's order, any layout", { skip: skipNative }, () => {
  const rng = new Rng(105);
  for (const dtype of ADD_DTYPES) {
    for (const shape of SHAPES) {
      for (let axis = 0; axis < shape.length; axis++) {
        const size = shape[axis];
        const m = size === 0 ? 0 : rng.pick([1, 3, 8, 25]);
        const out = withLargeInts(randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: rng.next() < 0.2 }), rng);
        const index = sliceIndex(m, size, rng);
        const srcShape = shape.map((d, i) => (i === axis ? m : d));
        const src = withLargeInts(randomView(srcShape, rng, { dtype, layout: rng.pick(LAYOUTS) }), rng);
        compareKernel(`indexAdd ${dtype} [${shape}] axis ${axis} m ${m}`, [out], EXACT, (b, [o]) => b.indexAdd(o, axis, index, src));
      }
    }
  }
  // A broadcast src slice (zero strides) and many repeats into few slices.
  const out = randomView([3, 40], rng);
  const src = broadcastDims(randomView([200, 40], rng), [0]);
  const repeats = indexView([200], 3, rng);
  compareKernel("indexAdd broadcast src", [out], EXACT, (b, [o]) => b.indexAdd(o, 0, repeats, src));
});

/** A random gather/scatterAdd index for target shape `shape` along axis: no larger off the axis, any length along it. */
function elementIndexShape(shape: number[], axis: number, rng: Rng): number[] {
  return shape.map((d, i) => (i === axis ? (d === 0 ? 0 : rng.int(0, d + 3)) : rng.int(Math.min(1, d), d)));
}

test("gather: every axis and dtype, index longer or shorter than x along the axis, broadcast index, any layout", { skip: skipNative }, () => {
  const rng = new Rng(106);
  for (const dtype of ALL_DTYPES) {
    for (const shape of SHAPES) {
      for (let axis = 0; axis < shape.length; axis++) {
        const iShape = elementIndexShape(shape, axis, rng);
        const x = randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: true });
        let index = indexView(iShape, shape[axis], rng, rng.pick(LAYOUTS));
        if (rng.next() < 0.3) index = broadcastDims(index, [rng.int(0, shape.length - 1)]);
        const out = randomView(iShape, rng, { dtype, layout: rng.pick(LAYOUTS) });
        compareKernel(`gather ${dtype} [${shape}] axis ${axis} index [${iShape}]`, [out], EXACT, (b, [o]) => b.gather(x, axis, index, o));
      }
    }
  }
});

test("scatterAdd: float32, float64 and int32, src larger than index, repeats, broadcast index/src (oneHot), any layout", { skip: skipNative }, () => {
  const rng = new Rng(107);
  for (const dtype of ADD_DTYPES) {
    for (const shape of SHAPES) {
      for (let axis = 0; axis < shape.length; axis++) {
        const iShape = elementIndexShape(shape, axis, rng);
        const out = withLargeInts(randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: rng.next() < 0.2 }), rng);
        const index = indexView(iShape, shape[axis], rng, rng.pick(LAYOUTS));
        const srcShape = iShape.map((d) => d + rng.int(0, 2));
        const src = withLargeInts(randomView(srcShape, rng, { dtype, layout: rng.pick(LAYOUTS) }), rng);
        compareKernel(`scatterAdd ${dtype} [${shape}] axis ${axis} index [${iShape}]`, [out], EXACT, (b, [o]) => b.scatterAdd(o, axis, index, src));
      }
    }
  }
  // oneHot's call: index [n, 1] with a zero stride along the class axis, a broadcast scalar one.
  const classes = indexView([30], 10, rng);
  const iv: View = { ...classes, shape: [30, 1], strides: [1, 0] };
  const one: View = { buf: new Int32Array([1]), dtype: "int32", shape: [30, 1], strides: [0, 0], offset: 0 };
  compareKernel("oneHot", [randomView([30, 10], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.scatterAdd(o, 1, iv, one));
});

/**
 * Run `call` on cpu and native over copies of one buffer that holds both the output and an input
 * (an aliased call): the native kernel must keep cpu's order of reads and writes.
 */
function compareAliased(msg: string, buf: TypedArray, call: (b: Backend, arr: TypedArray) => void): void {
  const a = buf.slice(), n = buf.slice();
  call(cpu, a);
  withoutCpuKernels(() => call(native(), n));
  assertBuffersClose(n, a, EXACT, msg);
}

test("outputs that overlap themselves or their inputs get cpu's exact result", { skip: skipNative }, () => {
  const rng = new Rng(108);
  const data = randomView([400], rng).buf as Float32Array;
  const v = (shape: number[], strides: number[], offset: number) => (arr: TypedArray): View => ({ buf: arr, dtype: "float32", shape, strides, offset });
  const idx = indexView([12], 6, rng);
  // indexAdd into a view whose rows overlap (stride 3 over rows of 8), src from the same buffer.
  compareAliased("indexAdd overlapping out", data, (b, arr) => b.indexAdd(v([6, 8], [3, 1], 0)(arr), 0, idx, v([12, 8], [8, 1], 100)(arr)));
  // indexSelect reading rows it also writes.
  compareAliased("indexSelect aliased", data, (b, arr) => b.indexSelect(v([6, 20], [20, 1], 0)(arr), 0, idx, v([12, 20], [20, 1], 40)(arr)));
  // scatterAdd into a broadcast (zero-stride) out.
  const sIdx = indexView([10, 4], 5, rng);
  compareAliased("scatterAdd zero-stride out", data, (b, arr) => b.scatterAdd(v([10, 5], [0, 1], 3)(arr), 1, sIdx, v([10, 4], [4, 1], 200)(arr)));
  // gather writing over the x it reads.
  compareAliased("gather aliased", data, (b, arr) => b.gather(v([10, 5], [5, 1], 0)(arr), 1, sIdx, v([10, 4], [4, 1], 7)(arr)));
  // argmax writing int32 over its own int32 data.
  const ints = randomView([300], rng, { dtype: "int32" }).buf as Int32Array;
  const iv = (shape: number[], strides: number[], offset: number) => (arr: TypedArray): View => ({ buf: arr, dtype: "int32", shape, strides, offset });
  compareAliased("argmax aliased", ints, (b, arr) => b.argReduce("argmax", iv([20, 7], [7, 1], 10)(arr), 0, iv([1, 7], [7, 1], 12)(arr)));
});

test("gather/scatterAdd whose out shares memory with the index run on the cpu kernel", { skip: skipNative }, () => {
  const rng = new Rng(109);
  const shared = new Int32Array(40);
  for (let i = 0; i < 40; i++) shared[i] = rng.int(0, 3);
  const index: View = { buf: shared, dtype: "int32", shape: [4, 5], strides: [5, 1], offset: 0 };
  const x = indexView([4, 4], 4, rng); // values that stay valid indices when cpu writes them over the index
  const out = (arr: TypedArray): View => ({ buf: arr, dtype: "int32", shape: [4, 5], strides: [5, 1], offset: 18 });
  const a = shared.slice(), n = shared.slice();
  cpu.gather(x, 1, { ...index, buf: a }, out(a));
  native().gather(x, 1, { ...index, buf: n }, out(n));
  assert.deepEqual(n, a);
});

test("int32 binary: wrapping add/sub/mul, maximum/minimum, comparisons and logical ops, broadcasting", { skip: skipNative }, () => {
  const rng = new Rng(110);
  const shapes = [[1], [9], [4, 5, 6], [3, 1, 7], [2, 0, 2], [5, 64]];
  for (const op of INT32_BINARY) {
    for (const shape of shapes) {
      for (let rep = 0; rep < 3; rep++) {
        let a = withLargeInts(randomView(shape, rng, { dtype: "int32", layout: rng.pick(LAYOUTS) }), rng);
        let b = withLargeInts(randomView(shape, rng, { dtype: "int32", layout: rng.pick(LAYOUTS) }), rng);
        if (rng.next() < 0.3) withTies(a, rng);
        if (rep === 1) b = broadcastDims(b, shape.map((_, i) => i).filter(() => rng.next() < 0.5));
        if (rep === 2) a = broadcastDims(a, shape.map((_, i) => i));
        const out = randomView(shape, rng, { dtype: BINARY_PREDICATES.has(op) ? "bool" : "int32", layout: rng.pick(LAYOUTS) });
        compareKernel(`int32 ${op} [${shape}] rep ${rep}`, [out], EXACT, (be, [o]) => be.binary(op, a, b, o));
      }
    }
  }
});

test("int32 sum, max and min over any axes (sums wrap like an Int32Array store)", { skip: skipNative }, () => {
  const rng = new Rng(111);
  for (const op of ["sum", "max", "min"] as const) {
    for (const shape of [[5, 6, 7], [1, 9, 1], [3, 1, 2]]) {
      for (const axes of [[], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) {
        const x = withLargeInts(randomView(shape, rng, { dtype: "int32", layout: rng.pick(LAYOUTS) }), rng);
        const out = randomView(shape.map((d, i) => (axes.includes(i) ? 1 : d)), rng, { dtype: "int32", layout: rng.pick(["dense", "offset", "gapped"] as Layout[]) });
        compareKernel(`int32 ${op} [${shape}] axes [${axes}]`, [out], EXACT, (b, [o]) => b.reduce(op, x, axes, o));
      }
    }
  }
});

test("large calls split over 1, 2 and 3 threads give cpu's result bit for bit", { skip: skipNative }, () => {
  const threads = nativeInfo()!.threads;
  const rng = new Rng(112);
  try {
    for (const n of [1, 2, 3]) {
      setNativeThreads(n);
      const x = randomView([300, 700], rng, { special: true });
      compareKernel(`argmax axis 0 (blocked) on ${n}`, [randomView([1, 700], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.argReduce("argmax", x, 0, o));
      compareKernel(`argmin axis 1 on ${n}`, [randomView([300, 1], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.argReduce("argmin", x, 1, o));
      // Embedding lookup (split over index positions) and its backward (one row: one thread).
      const table = randomView([500, 64], rng);
      const ids = indexView([3000], 500, rng);
      compareKernel(`indexSelect rows on ${n}`, [randomView([3000, 64], rng)], EXACT, (b, [o]) => b.indexSelect(table, 0, ids, o));
      const g = randomView([3000, 64], rng);
      compareKernel(`indexAdd rows on ${n}`, [randomView([500, 64], rng)], EXACT, (b, [o]) => b.indexAdd(o, 0, ids, g));
      // One row long enough to be cut into pieces.
      const wideIds = indexView([40], 6, rng), wide = randomView([40, 9000], rng);
      compareKernel(`indexAdd wide row on ${n}`, [randomView([6, 9000], rng)], EXACT, (b, [o]) => b.indexAdd(o, 0, wideIds, wide));
      const wideIndex = indexView([30, 9000], 6, rng), wideSrc = randomView([30, 9000], rng);
      compareKernel(`scatterAdd wide row on ${n}`, [randomView([6, 9000], rng)], EXACT, (b, [o]) => b.scatterAdd(o, 0, wideIndex, wideSrc));
      // Channel selection of an image batch (split over rows), and its backward.
      const img = randomView([64, 12, 20, 20], rng);
      const ch = indexView([20], 12, rng);
      compareKernel(`indexSelect channels on ${n}`, [randomView([64, 20, 20, 20], rng)], EXACT, (b, [o]) => b.indexSelect(img, 1, ch, o));
      const gc = randomView([64, 20, 20, 20], rng);
      compareKernel(`indexAdd channels on ${n}`, [randomView([64, 12, 20, 20], rng)], EXACT, (b, [o]) => b.indexAdd(o, 1, ch, gc));
      // gather and scatterAdd along the last and the first axis, many repeats.
      const gi = indexView([512, 300], 100, rng);
      const src = randomView([512, 300], rng);
      const gx = randomView([512, 100], rng);
      compareKernel(`gather on ${n}`, [randomView([512, 300], rng)], EXACT, (b, [o]) => b.gather(gx, 1, gi, o));
      compareKernel(`scatterAdd axis 1 on ${n}`, [randomView([512, 100], rng)], EXACT, (b, [o]) => b.scatterAdd(o, 1, gi, src));
      const gi0 = indexView([512, 300], 40, rng);
      compareKernel(`scatterAdd axis 0 on ${n}`, [randomView([40, 300], rng)], EXACT, (b, [o]) => b.scatterAdd(o, 0, gi0, src));
      const ia = withLargeInts(randomView([300_001], rng, { dtype: "int32" }), rng);
      const ib = withLargeInts(randomView([300_001], rng, { dtype: "int32" }), rng);
      compareKernel(`int32 mul on ${n}`, [randomView([300_001], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.binary("mul", ia, ib, o));
      compareKernel(`int32 sum on ${n}`, [randomView([1], rng, { dtype: "int32" })], EXACT, (b, [o]) => b.reduce("sum", ia, [0], o));
    }
  } finally {
    setNativeThreads(threads);
  }
});
