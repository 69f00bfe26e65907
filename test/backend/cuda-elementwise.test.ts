// The cuda backend's elementwise, reduction and softmax kernels against the cpu backend (the
// oracle) on random shapes: odd sizes, size 1, empty, non-contiguous views (offsets, gaps,
// permuted and column-major strides), broadcasting (zero strides), every dtype. Skips with the
// reason when the backend is unavailable (no addon or no GPU).
//
// Tolerances: casts, fills, where, comparisons, + − × ÷, sqrt, reciprocal, abs/neg/floor/ceil/
// round/trunc/sign/relu and max/min reductions are bit-exact (float32 work is done in float, and
// these are correctly rounded, as the cpu's double arithmetic rounded to float32 is). Functions
// computed by CUDA's float math library (exp, log, tanh, erf, pow, …) are within a few ulps:
// rtol 4e-6, and where they cancel (gelu/geluTanh of large negative x: 1 + erf ≈ 0) within atol
// 1e-6; float64 results of CUDA's double math library are within rtol 1e-13 of V8's.
// Sums, products and softmax accumulate in double on both sides in a different order: rtol 1e-5.

import { test } from "node:test";
import type { BinaryOp, ParamUnaryOp, UnaryOp, View } from "../../src/backend/backend.js";
import type { DType } from "../../src/core/dtype.js";
import { BINARY_CODES, BINARY_PREDICATES, UNARY_BOOL_OUT, UNARY_CODES } from "../../src/backend/addon-abi/codes.js";
import { EXACT, Rng, SUM, ULP, broadcastDims, compareCuda, randomView, skipCuda, type Layout } from "./cuda-helpers.js";

const LAYOUTS: Layout[] = ["dense", "offset", "gapped", "permuted", "reversed-strides"];
const SHAPES: number[][] = [[], [1], [7], [3, 1, 5], [4, 5, 6], [2, 0, 3], [1, 1, 1, 9], [33, 17]];
const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];
const EXACT_UNARY = new Set<UnaryOp>(["neg", "abs", "sqrt", "square", "relu", "sign", "reciprocal", "floor", "ceil", "round", "trunc", "logicalNot", "isnan", "isinf"]);
const FN = { rtol: 4e-6, atol: 1e-6 };

test("cuda copy casts between every pair of dtypes exactly (int32 wraps, NaN → 0), through any strides", { skip: skipCuda }, () => {
  const rng = new Rng(101);
  for (const from of DTYPES) {
    for (const to of DTYPES) {
      for (const shape of SHAPES) {
        const x = randomView(shape, rng, { dtype: from, layout: rng.pick(LAYOUTS), special: true });
        if (from === "float32" || from === "float64") {
          const b = x.buf as Float32Array;
          for (let i = 0; i < b.length; i += 7) b[i] = (rng.next() - 0.5) * 1e10;
        }
        const out = randomView(shape, rng, { dtype: to, layout: rng.pick(LAYOUTS) });
        compareCuda(`copy ${from}→${to} [${shape}]`, [x], [out], EXACT, (b, [i], [o]) => b.copy(i, o));
      }
    }
  }
  // A broadcast source (zero strides) and a copy within one buffer whose ranges overlap.
  const row = randomView([1, 9], rng);
  const wide = randomView([6, 9], rng);
  compareCuda("broadcast copy", [broadcastDims({ ...row, shape: [6, 9] }, [0])], [wide], EXACT, (b, [i], [o]) => b.copy(i, o));
  const buf = randomView([40], rng);
  compareCuda("overlapping copy within a buffer", [], [buf], EXACT, (b, _, [o]) =>
    b.copy({ ...o, shape: [30], strides: [1], offset: 0 }, { ...o, shape: [30], strides: [1], offset: 7 }));
});

test("cuda fill stores every dtype as a typed-array store would", { skip: skipCuda }, () => {
  const rng = new Rng(102);
  for (const dtype of DTYPES) {
    for (const value of [0, 1, -1, 3.7, -2.5, 300, 1e10, NaN, Infinity, 1 / 3]) {
      const out = randomView([3, 4, 5], rng, { dtype, layout: rng.pick(LAYOUTS) });
      compareCuda(`fill ${dtype} ${value}`, [], [out], EXACT, (b, _, [o]) => b.fill(o, value));
    }
  }
});

test("cuda unary: every op on float32 with special values, any layout, predicates to bool, in place", { skip: skipCuda }, () => {
  const rng = new Rng(103);
  for (const op of UNARY_CODES) {
    for (const shape of SHAPES) {
      const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
      const out = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
      compareCuda(`unary ${op} [${shape}]`, [x], [out], EXACT_UNARY.has(op) ? EXACT : FN, (b, [i], [o]) => b.unary(op, i, o));
      if (UNARY_BOOL_OUT.has(op)) {
        const outBool = randomView(shape, rng, { dtype: "bool" });
        compareCuda(`unary ${op} → bool [${shape}]`, [x], [outBool], EXACT, (b, [i], [o]) => b.unary(op, i, o));
      }
    }
  }
  const x = randomView([50], rng, { special: true });
  compareCuda("unary sqrt in place", [], [x], EXACT, (b, _, [o]) => b.unary("sqrt", o, o));
});

test("cuda unary on float64, int32 and bool operands (computed in double, typed-array stores)", { skip: skipCuda }, () => {
  const rng = new Rng(104);
  const cases: [UnaryOp, DType, DType][] = [
    ["exp", "float64", "float64"], ["erf", "float64", "float64"], ["tanh", "float64", "float64"], ["neg", "int32", "int32"],
    ["abs", "int32", "int32"], ["square", "int32", "int32"], ["exp", "int32", "float32"], ["logicalNot", "bool", "bool"],
    ["isnan", "float64", "bool"], ["sign", "int32", "int32"], ["sqrt", "float64", "float64"],
  ];
  for (const [op, from, to] of cases) {
    for (const shape of [[7], [4, 5, 6], [0], [33, 17]]) {
      const x = randomView(shape, rng, { dtype: from, layout: rng.pick(LAYOUTS), special: true });
      const out = randomView(shape, rng, { dtype: to, layout: rng.pick(LAYOUTS) });
      // float64 results of CUDA's double math library: within an ulp or two of V8's.
      const tol = EXACT_UNARY.has(op) ? EXACT : { rtol: 1e-13, atol: 1e-300 };
      compareCuda(`unary ${op} ${from}→${to} [${shape}]`, [x], [out], to === "float32" ? FN : tol, (b, [i], [o]) => b.unary(op, i, o));
    }
  }
});

test("cuda paramUnary: powScalar, clamp, leakyRelu, elu, hardtanh, step and affine", { skip: skipCuda }, () => {
  const rng = new Rng(105);
  const cases: [ParamUnaryOp, number[]][] = [
    ["powScalar", [2]], ["powScalar", [0.5]], ["powScalar", [3]], ["powScalar", [-1.5]], ["clamp", [-0.5, 0.7]],
    ["clamp", [-Infinity, 0]], ["leakyRelu", [0.01]], ["elu", [1.0]], ["elu", [1.67, 1.05]], ["hardtanh", [-1, 1]],
    ["step", [0.25]], ["affine", [1.25, -0.5]], ["affine", [1 / 0.75, 0]],
  ];
  for (const [op, params] of cases) {
    for (const shape of SHAPES) {
      const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
      const out = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
      const tol = op === "powScalar" || op === "elu" ? ULP : EXACT;
      compareCuda(`paramUnary ${op}(${params}) [${shape}]`, [x], [out], tol, (b, [i], [o]) => b.paramUnary(op, i, o, params));
    }
  }
});

test("cuda binary: every op with broadcasting, any layout, comparisons to bool", { skip: skipCuda }, () => {
  const rng = new Rng(106);
  const shapes = [[1], [9], [4, 5, 6], [3, 1, 7], [2, 0, 2], [5, 64]];
  for (const op of BINARY_CODES) {
    for (const shape of shapes) {
      for (let rep = 0; rep < 3; rep++) {
        let a = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
        let b = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
        const dims = shape.map((_, i) => i).filter(() => rng.next() < 0.5);
        if (rep === 1) b = broadcastDims(b, dims);
        if (rep === 2) a = broadcastDims(a, shape.map((_, i) => i));
        const predicate = BINARY_PREDICATES.has(op as BinaryOp);
        const out = randomView(shape, rng, { dtype: predicate ? "bool" : "float32", layout: rng.pick(LAYOUTS) });
        const tol = op === "pow" || op === "atan2" ? ULP : EXACT;
        compareCuda(`binary ${op} [${shape}] rep ${rep}`, [a, b], [out], tol, (be, [x, y], [o]) => be.binary(op, x, y, o));
      }
    }
  }
});

test("cuda binary on int32 (wrapping products), float64 and bool operands", { skip: skipCuda }, () => {
  const rng = new Rng(107);
  const cases: [BinaryOp, DType, DType][] = [
    ["add", "int32", "int32"], ["sub", "int32", "int32"], ["mul", "int32", "int32"], ["div", "int32", "float32"],
    ["add", "float64", "float64"], ["pow", "float64", "float64"], ["maximum", "float64", "float64"], ["lt", "int32", "bool"],
    ["eq", "float64", "bool"], ["logicalAnd", "bool", "bool"], ["add", "bool", "bool"], ["mul", "bool", "bool"],
  ];
  for (const [op, from, to] of cases) {
    for (const shape of [[9], [4, 5, 6], [3, 1, 7]]) {
      const a = randomView(shape, rng, { dtype: from, layout: rng.pick(LAYOUTS), special: true });
      if (from === "int32") for (let i = 0; i < (a.buf as Int32Array).length; i += 3) (a.buf as Int32Array)[i] = rng.int(-2e9, 2e9);
      const b = broadcastDims(randomView(shape, rng, { dtype: from, layout: rng.pick(LAYOUTS), special: true }), [0]);
      const out = randomView(shape, rng, { dtype: to, layout: rng.pick(LAYOUTS) });
      const tol = op === "pow" ? { rtol: 1e-13, atol: 0 } : EXACT;
      compareCuda(`binary ${op} ${from}→${to} [${shape}]`, [a, b], [out], tol, (be, [x, y], [o]) => be.binary(op, x, y, o));
    }
  }
});

test("cuda binary in place with a broadcast row (the conv bias add) and a long run", { skip: skipCuda }, () => {
  const rng = new Rng(108);
  const out = randomView([5, 7, 40, 41], rng);
  const bias = randomView([7], rng);
  const bv: View = { ...bias, shape: out.shape, strides: [0, 1, 0, 0] };
  compareCuda("bias add in place", [bv], [out], EXACT, (b, [v], [o]) => b.binary("add", o, v, o));
  const a = randomView([3_000_001], rng), c = randomView([3_000_001], rng);
  compareCuda("long mul", [a, c], [randomView([3_000_001], rng)], EXACT, (b, [x, y], [o]) => b.binary("mul", x, y, o));
});

test("cuda where selects bit for bit through bool conditions with broadcasting, every dtype", { skip: skipCuda }, () => {
  const rng = new Rng(109);
  for (const dtype of DTYPES) {
    for (const shape of [[1], [4, 5, 6], [3, 0], [2, 9]]) {
      const cond = randomView(shape, rng, { dtype: "bool", layout: rng.pick(LAYOUTS) });
      const a = randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS), special: true });
      const b = broadcastDims(randomView(shape, rng, { dtype, special: true }), [0]);
      const out = randomView(shape, rng, { dtype, layout: rng.pick(LAYOUTS) });
      compareCuda(`where ${dtype} [${shape}]`, [cond, a, b], [out], EXACT, (be, [c, x, y], [o]) => be.where(c, x, y, o));
    }
  }
});

test("cuda reduce: sum, prod, max, min over any axes of any layout and dtype (NaN wins max/min)", { skip: skipCuda }, () => {
  const rng = new Rng(110);
  const axesSets = [[], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
  for (const op of ["sum", "prod", "max", "min"] as const) {
    for (const shape of [[5, 6, 7], [1, 9, 1], [3, 1, 2], [2, 0, 3]]) {
      for (const axes of axesSets) {
        if (shape.includes(0) && (op === "max" || op === "min")) continue; // the cpu kernel's error, tested in cuda-errors
        const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: op !== "prod" && rng.next() < 0.3 });
        const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const out = randomView(outShape, rng, { layout: rng.pick<Layout>(["dense", "offset", "gapped"]) });
        const tol = op === "sum" || op === "prod" ? SUM : EXACT;
        compareCuda(`reduce ${op} [${shape}] axes [${axes}]`, [x], [out], tol, (b, [i], [o]) => b.reduce(op, i, axes, o), shape.includes(0));
      }
    }
  }
  // Other dtypes: int32 sums store with wrap-around, bool sums (any) and prods (all) store 0/1.
  for (const [dtype, out] of [["int32", "int32"], ["bool", "bool"], ["float64", "float64"], ["bool", "int32"]] as [DType, DType][]) {
    const x = randomView([6, 50, 7], rng, { dtype, layout: rng.pick(LAYOUTS) });
    for (const op of ["sum", "prod", "max"] as const) {
      const o = randomView([6, 1, 7], rng, { dtype: out });
      compareCuda(`reduce ${op} ${dtype}→${out}`, [x], [o], dtype === "float64" ? { rtol: 1e-12, atol: 0 } : EXACT, (b, [i], [r]) => b.reduce(op, i, [1], r));
    }
  }
});

test("cuda reduce on large tensors: split blocks, thread-per-output columns, a full sum", { skip: skipCuda }, () => {
  const rng = new Rng(111);
  const x = randomView([64, 16, 30, 30], rng);
  compareCuda("sum over N, H, W (conv bias gradient)", [x], [randomView([1, 16, 1, 1], rng)], SUM, (b, [i], [o]) => b.reduce("sum", i, [0, 2, 3], o));
  compareCuda("sum of everything", [x], [randomView([1, 1, 1, 1], rng)], SUM, (b, [i], [o]) => b.reduce("sum", i, [0, 1, 2, 3], o));
  const cols = randomView([4096, 300], rng);
  compareCuda("sum over rows (linear bias gradient)", [cols], [randomView([1, 300], rng)], SUM, (b, [i], [o]) => b.reduce("sum", i, [0], o));
  compareCuda("max over rows", [cols], [randomView([1, 300], rng)], EXACT, (b, [i], [o]) => b.reduce("max", i, [0], o));
  (x.buf as Float32Array)[123456] = NaN;
  compareCuda("max with a NaN", [x], [randomView([1, 1, 1, 1], rng)], EXACT, (b, [i], [o]) => b.reduce("max", i, [0, 1, 2, 3], o));
});

test("cuda argmax / argmin: first occurrence wins, NaN wins, any axis and layout, long lines", { skip: skipCuda }, () => {
  const rng = new Rng(112);
  for (const shape of [[5, 6, 7], [1, 9], [40, 3], [3, 2000], [1, 100_000]]) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const op of ["argmax", "argmin"] as const) {
        const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: rng.next() < 0.3 });
        // Ties: copy some values so the first occurrence must win.
        const xs = x.buf as Float32Array;
        for (let i = 0; i + 3 < xs.length; i += 5) xs[i + 3] = xs[i];
        const out = randomView(shape.map((d, i) => (i === axis ? 1 : d)), rng, { dtype: "int32" });
        compareCuda(`${op} [${shape}] axis ${axis}`, [x], [out], EXACT, (b, [i], [o]) => b.argReduce(op, i, axis, o));
      }
    }
  }
  const ints = randomView([7, 30], rng, { dtype: "int32" });
  compareCuda("argmax of int32", [ints], [randomView([7, 1], rng, { dtype: "int32" })], EXACT, (b, [i], [o]) => b.argReduce("argmax", i, 1, o));
});

test("cuda softmax and log-softmax, forward and backward, along every axis of any layout", { skip: skipCuda }, () => {
  const rng = new Rng(113);
  for (const shape of [[4, 7], [3, 5, 6], [1, 1], [6], [2, 0, 3], [8, 1000], [3, 40, 5]]) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const log of [false, true]) {
        const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        const y = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        compareCuda(`softmax log=${log} [${shape}] axis ${axis}`, [x], [y], SUM, (b, [i], [o]) => b.softmax(i, axis, o, log));
        const gy = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        const gx = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        compareCuda(`softmaxBackward log=${log} [${shape}] axis ${axis}`, [y, gy], [gx], SUM, (b, [p, g], [o]) => b.softmaxBackward(p, g, axis, o, log));
      }
    }
  }
  const x = randomView([3, 40], rng);
  const xs = x.buf as Float32Array;
  for (let j = 0; j < 40; j++) xs[40 + j] = -Infinity;
  xs[90] = NaN;
  compareCuda("softmax with -inf and NaN rows", [x], [randomView([3, 40], rng)], SUM, (b, [i], [o]) => b.softmax(i, 1, o, false));
  const x64 = randomView([5, 33], rng, { dtype: "float64" });
  compareCuda("softmax float64", [x64], [randomView([5, 33], rng, { dtype: "float64" })], { rtol: 1e-13, atol: 1e-300 }, (b, [i], [o]) => b.softmax(i, 1, o, true));
});
