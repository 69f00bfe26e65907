// The native backend's elementwise, reduction, softmax, normalisation and pooling kernels against
// the cpu backend (the oracle) on random shapes: odd sizes, size 1, empty, non-contiguous views
// (offsets, gaps, permuted and column-major strides) and broadcasting (zero strides).
//
// Tolerances (float32): + − × ÷, sqrt, comparisons, casts, fills, max/min, pooling maxima and
// where are bit-exact (both round the same correctly rounded result). Functions evaluated through
// libm (exp, log, tanh, erf, pow, …) may differ by an ulp: rtol 1e-6. Sums, softmax and norms
// accumulate in double on both sides in a different order: rtol 1e-5.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { BinaryOp, ParamUnaryOp, UnaryOp, View } from "../../src/backend/backend.js";
import type { DType } from "../../src/core/dtype.js";
import { UNARY_CODES, BINARY_CODES, BINARY_PREDICATES, UNARY_BOOL_OUT } from "../../src/backend/addon-abi/codes.js";
import { forceGenericGemm, setNativeThreads, nativeInfo } from "../../src/backend/native/index.js";
import * as nb from "../../src/index.js";
import {
  EXACT, Rng, broadcastDims, compareKernel, cpu, native, randomView, skipNative, type Layout,
} from "./native-helpers.js";

const ULP = { rtol: 1e-6, atol: 1e-30 };
const SUM = { rtol: 1e-5, atol: 1e-6 };
const LAYOUTS: Layout[] = ["dense", "offset", "gapped", "permuted", "reversed-strides"];
const SHAPES: number[][] = [[], [1], [7], [3, 1, 5], [4, 5, 6], [2, 0, 3], [1, 1, 1, 9], [33, 17]];

const EXACT_UNARY = new Set<UnaryOp>(["neg", "abs", "sqrt", "square", "relu", "sign", "reciprocal", "floor", "ceil", "round", "trunc", "logicalNot", "isnan", "isinf"]);

test("copy casts between every pair of dtypes exactly, through any strides", { skip: skipNative }, () => {
  const rng = new Rng(1);
  const dtypes: DType[] = ["float32", "float64", "int32", "bool"];
  for (const from of dtypes) {
    for (const to of dtypes) {
      for (const shape of SHAPES) {
        const x = randomView(shape, rng, { dtype: from, layout: rng.pick(LAYOUTS), special: true });
        // Large magnitudes exercise int32 wrap-around; NaN and infinities become 0.
        if (from === "float32" || from === "float64") {
          const b = x.buf as Float32Array;
          for (let i = 0; i < b.length; i += 7) b[i] = (rng.next() - 0.5) * 1e10;
        }
        const out = randomView(shape, rng, { dtype: to, layout: rng.pick(LAYOUTS) });
        compareKernel(`copy ${from}→${to} [${shape}]`, [out], EXACT, (b, [o]) => b.copy(x, o));
      }
    }
  }
});

test("fill writes every dtype as a typed-array store would (bool and int32 wrap)", { skip: skipNative }, () => {
  const rng = new Rng(2);
  for (const dtype of ["float32", "float64", "int32", "bool"] as DType[]) {
    for (const value of [0, 1, -1, 3.7, -2.5, 300, 1e10, NaN, Infinity, 1 / 3]) {
      const out = randomView([3, 4, 5], rng, { dtype, layout: rng.pick(LAYOUTS) });
      compareKernel(`fill ${dtype} ${value}`, [out], EXACT, (b, [o]) => b.fill(o, value));
    }
  }
});

test("unary: all ops on float32, special values included, any layout", { skip: skipNative }, () => {
  const rng = new Rng(3);
  for (const op of UNARY_CODES) {
    for (const shape of SHAPES) {
      const layout = rng.pick(LAYOUTS);
      const x = randomView(shape, rng, { layout, special: true });
      const out = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
      compareKernel(`unary ${op} [${shape}] ${layout}`, [out], EXACT_UNARY.has(op) ? EXACT : ULP, (b, [o]) => b.unary(op, x, o));
      if (UNARY_BOOL_OUT.has(op)) {
        const outBool = randomView(shape, rng, { dtype: "bool" });
        compareKernel(`unary ${op} → bool [${shape}]`, [outBool], EXACT, (b, [o]) => b.unary(op, x, o));
      }
    }
  }
  // In place (out is x), as the optimizers do.
  const x = randomView([50], rng, { special: true });
  compareKernel("unary sqrt in place", [x], EXACT, (b, [o]) => b.unary("sqrt", o, o));
});

test("paramUnary: powScalar, clamp, leakyRelu, elu, hardtanh, step and affine", { skip: skipNative }, () => {
  const rng = new Rng(4);
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
      compareKernel(`paramUnary ${op}(${params}) [${shape}]`, [out], tol, (b, [o]) => b.paramUnary(op, x, o, params));
    }
  }
});

test("binary: all ops with broadcasting (zero strides), any layout, comparisons to bool", { skip: skipNative }, () => {
  const rng = new Rng(5);
  const shapes = [[1], [9], [4, 5, 6], [3, 1, 7], [2, 0, 2], [5, 64]];
  for (const op of BINARY_CODES) {
    for (const shape of shapes) {
      for (let rep = 0; rep < 3; rep++) {
        let a = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
        let b = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
        // Broadcast one operand along some dims (and, once, everywhere: a scalar).
        const dims = shape.map((_, i) => i).filter(() => rng.next() < 0.5);
        if (rep === 1) b = broadcastDims(b, dims);
        if (rep === 2) a = broadcastDims(a, shape.map((_, i) => i));
        const predicate = BINARY_PREDICATES.has(op as BinaryOp);
        const out = randomView(shape, rng, { dtype: predicate ? "bool" : "float32", layout: rng.pick(LAYOUTS) });
        const tol = op === "pow" || op === "atan2" ? ULP : EXACT;
        compareKernel(`binary ${op} [${shape}] rep ${rep}`, [out], tol, (be, [o]) => be.binary(op, a, b, o));
      }
    }
  }
});

test("binary in place with a broadcast row (the conv bias add) and a long contiguous run (threads)", { skip: skipNative }, () => {
  const rng = new Rng(6);
  const out = randomView([5, 7, 40, 41], rng);
  const bias = randomView([7], rng);
  const bv: View = { ...bias, shape: out.shape, strides: [0, 1, 0, 0] };
  compareKernel("bias add in place", [out], EXACT, (b, [o]) => b.binary("add", o, bv, o));
  const a = randomView([300_001], rng), c = randomView([300_001], rng);
  const o = randomView([300_001], rng);
  compareKernel("long mul", [o], EXACT, (b, [r]) => b.binary("mul", a, c, r));
});

test("where selects through bool conditions with broadcasting", { skip: skipNative }, () => {
  const rng = new Rng(7);
  for (const shape of [[1], [4, 5, 6], [3, 0], [2, 9]]) {
    const cond = randomView(shape, rng, { dtype: "bool", layout: rng.pick(LAYOUTS) });
    const a = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: true });
    const b = broadcastDims(randomView(shape, rng, { special: true }), [0]);
    const out = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
    compareKernel(`where [${shape}]`, [out], EXACT, (be, [o]) => be.where(cond, a, b, o));
  }
});

test("reduce: sum, prod, max, min over any axes of any layout (NaN wins max/min)", { skip: skipNative }, () => {
  const rng = new Rng(8);
  const axesSets = [[], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
  for (const op of ["sum", "prod", "max", "min"] as const) {
    for (const shape of [[5, 6, 7], [1, 9, 1], [3, 1, 2]]) {
      for (const axes of axesSets) {
        const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS), special: op !== "prod" && rng.next() < 0.3 });
        const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const out = randomView(outShape, rng, { layout: rng.pick(["dense", "offset", "gapped"] as Layout[]) });
        const tol = op === "sum" || op === "prod" ? SUM : EXACT;
        compareKernel(`reduce ${op} [${shape}] axes [${axes}]`, [out], tol, (b, [o]) => b.reduce(op, x, axes, o));
      }
    }
  }
});

test("reduce on large tensors splits over threads with the same result (bias gradient, full sum)", { skip: skipNative }, () => {
  const rng = new Rng(9);
  const x = randomView([16, 8, 26, 26], rng);
  const out = randomView([1, 8, 1, 1], rng);
  compareKernel("sum over N, H, W", [out], SUM, (b, [o]) => b.reduce("sum", x, [0, 2, 3], o));
  const all = randomView([1, 1, 1, 1], rng);
  compareKernel("sum of everything", [all], SUM, (b, [o]) => b.reduce("sum", x, [0, 1, 2, 3], o));
  const mx = randomView([1, 1, 1, 1], rng);
  (x.buf as Float32Array)[12345] = NaN;
  compareKernel("max with a NaN", [mx], EXACT, (b, [o]) => b.reduce("max", x, [0, 1, 2, 3], o));
});

test("softmax and log-softmax, forward and backward, along every axis of any layout", { skip: skipNative }, () => {
  const rng = new Rng(10);
  for (const shape of [[4, 7], [3, 5, 6], [1, 1], [6], [2, 0, 3]]) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const log of [false, true]) {
        const x = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        const y = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        compareKernel(`softmax log=${log} [${shape}] axis ${axis}`, [y], SUM, (b, [o]) => b.softmax(x, axis, o, log));
        const gy = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        const gx = randomView(shape, rng, { layout: rng.pick(LAYOUTS) });
        compareKernel(`softmaxBackward log=${log} [${shape}] axis ${axis}`, [gx], SUM, (b, [o]) => b.softmaxBackward(y, gy, axis, o, log));
      }
    }
  }
  // A row of -inf gives NaN on both; a NaN row too.
  const x = randomView([3, 4], rng);
  const xs = x.buf as Float32Array;
  for (let j = 0; j < 4; j++) xs[4 + j] = -Infinity;
  xs[9] = NaN;
  const y = randomView([3, 4], rng);
  compareKernel("softmax with -inf and NaN rows", [y], SUM, (b, [o]) => b.softmax(x, 1, o, false));
});

test("moments, channelMoments, batchNormApply and batchNormBackward (with and without affine)", { skip: skipNative }, () => {
  const rng = new Rng(11);
  for (const [rows, cols] of [[6, 35], [1, 1], [4, 1], [3, 200]]) {
    const x = randomView([rows, cols], rng, { layout: "offset" });
    const mean = randomView([rows, 1], rng, { layout: "gapped" }), rstd = randomView([rows], rng);
    compareKernel(`moments ${rows}x${cols}`, [mean, rstd], SUM, (b, [m, r]) => b.moments(x, rows, cols, 1e-5, m, r));
  }
  for (const shape of [[4, 5, 3, 3], [2, 3], [5, 2, 7], [1, 4, 2, 2, 2]]) {
    const C = shape[1];
    const x = randomView(shape, rng, { layout: "offset" });
    const mean = randomView([C], rng), variance = randomView([C], rng, { layout: "gapped" });
    compareKernel(`channelMoments [${shape}]`, [mean, variance], SUM, (b, [m, v]) => b.channelMoments(x, m, v));
    const mu = randomView([C], rng), rstd = randomView([C], rng, { positive: true });
    for (const affine of [false, true]) {
      const w = affine ? randomView([C], rng) : null, bias = affine ? randomView([C], rng, { layout: "offset" }) : null;
      const out = randomView(shape, rng);
      compareKernel(`batchNormApply [${shape}] affine=${affine}`, [out], SUM, (b, [o]) => b.batchNormApply(x, mu, rstd, w, bias, o));
      const gy = randomView(shape, rng);
      const gx = randomView(shape, rng), gw = randomView([C], rng), gb = randomView([C], rng);
      compareKernel(`batchNormBackward [${shape}] affine=${affine}`, [gx, gw, gb], SUM, (b, [o, ow, ob]) =>
        b.batchNormBackward(gy, x, mu, rstd, w, o, affine ? ow : null, affine ? ob : null));
    }
  }
});

/** Output size of a sliding window (ceil mode adds one more window when it starts inside). */
function windows(L: number, k: number, s: number, pb: number, pa: number, d: number, ceil = false): number {
  const span = d * (k - 1) + 1;
  const n = Math.floor((L + pb + pa - span) / s) + 1;
  return ceil && (n - 1) * s < L + pb && (L + pb + pa - span) % s !== 0 ? n + 1 : n;
}

test("pooling: max, average (padding, ceil mode, divisors) and adaptive, forward and backward, 1-3 spatial dims", { skip: skipNative }, () => {
  const rng = new Rng(12);
  const cases = [
    { x: [2, 3, 9, 8], k: [3, 3], s: [2, 2], pb: [1, 1], pa: [1, 1], d: [1, 1] },
    { x: [2, 3, 9, 8], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [3, 2, 13, 15], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    // 3×3 windows, stride 2: most winners lie in their 2×2 block, some not (the one-pass backward gives way).
    { x: [2, 3, 9, 9], k: [3, 3], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [2, 2, 6, 7], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1], ceil: true },
    { x: [1, 2, 11, 10], k: [3, 2], s: [2, 3], pb: [1, 0], pa: [1, 0], d: [2, 1], ceil: true },
    { x: [3, 2, 17], k: [4], s: [3], pb: [2], pa: [2], d: [1], ceil: true },
    { x: [1, 2, 5, 6, 7], k: [2, 3, 2], s: [1, 2, 2], pb: [1, 1, 0], pa: [1, 1, 0], d: [1, 1, 2] },
    { x: [2, 1, 1, 1], k: [1, 1], s: [1, 1], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [0, 3, 4, 4], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
  ];
  for (const c of cases) {
    const nd = c.k.length;
    const outShape = [c.x[0], c.x[1], ...c.x.slice(2).map((L, i) => windows(L, c.k[i], c.s[i], c.pb[i], c.pa[i], c.d[i], c.ceil))];
    const p = { kernel: c.k, stride: c.s, padBefore: c.pb, padAfter: c.pa, dilation: c.d };
    // Special values (NaN, ±inf, ties) in every other case: NaN wins, the first maximum wins ties.
    const x = randomView(c.x, rng, { layout: "offset", special: cases.indexOf(c) % 2 === 1 });
    const out = randomView(outShape, rng), idx = randomView(outShape, rng, { dtype: "int32" });
    compareKernel(`maxPool ${nd}d [${c.x}]`, [out, idx], EXACT, (b, [o, i]) => b.maxPool(x, o, i, p));
    compareKernel(`maxPool after relu ${nd}d [${c.x}]`, [out, idx], EXACT, (b, [o, i]) => b.maxPool(x, o, i, p, true));
    // Backward through the cpu's indices (both backends get the same ones).
    const cpuIdx = randomView(outShape, rng, { dtype: "int32" });
    cpu.maxPool(x, randomView(outShape, rng), cpuIdx, p);
    const gy = randomView(outShape, rng), gx = randomView(c.x, rng);
    compareKernel(`maxPoolBackward ${nd}d [${c.x}]`, [gx], SUM, (b, [g]) => b.maxPoolBackward(gy, cpuIdx, g));
    // Indices from the relu-fused forward: -1 for windows without a positive max.
    cpu.maxPool(x, randomView(outShape, rng), cpuIdx, p, true);
    compareKernel(`maxPoolBackward after relu ${nd}d [${c.x}]`, [gx], SUM, (b, [g]) => b.maxPoolBackward(gy, cpuIdx, g));
    const xf = randomView(c.x, rng);
    for (const [countIncludePad, divisorOverride] of [[true, undefined], [false, undefined], [true, 3]] as const) {
      const ap = { ...p, countIncludePad, divisorOverride };
      const o = randomView(outShape, rng);
      compareKernel(`avgPool ${nd}d [${c.x}] pad=${countIncludePad} div=${divisorOverride}`, [o], SUM, (b, [r]) => b.avgPool(xf, r, ap));
      const g = randomView(c.x, rng);
      compareKernel(`avgPoolBackward ${nd}d [${c.x}]`, [g], SUM, (b, [r]) => b.avgPoolBackward(gy, r, ap));
    }
    const adaptiveOut = [c.x[0], c.x[1], ...c.x.slice(2).map((L) => Math.max(1, Math.ceil(L / 2) - 1))];
    const ao = randomView(adaptiveOut, rng), ai = randomView(adaptiveOut, rng, { dtype: "int32" });
    compareKernel(`adaptiveAvgPool [${c.x}]`, [ao], SUM, (b, [r]) => b.adaptiveAvgPool(xf, r));
    compareKernel(`adaptiveMaxPool [${c.x}]`, [ao, ai], EXACT, (b, [r, i]) => b.adaptiveMaxPool(x, r, i));
    const ag = randomView(adaptiveOut, rng), agx = randomView(c.x, rng);
    compareKernel(`adaptiveAvgPoolBackward [${c.x}]`, [agx], SUM, (b, [r]) => b.adaptiveAvgPoolBackward(ag, r));
  }
});

test("2×2 max pooling and the fused conv → relu → pool agree on the AVX2 and the SSE2 paths", { skip: skipNative }, () => {
  const rng = new Rng(21);
  const win = { kernel: [2, 2], stride: [2, 2], padBefore: [0, 0], padAfter: [0, 0], dilation: [1, 1] };
  const previous = nb.getBackend();
  nb.setBackend("native");
  try {
    for (const generic of [false, true]) {
      forceGenericGemm(generic);  // also picks the portable pooling and direct-conv kernels
      // Pooled widths of 10 (eight at a time, then an overlapping group), 8, 5 and 3 (one by one).
      for (const shape of [[2, 3, 9, 20], [1, 2, 6, 17], [2, 2, 4, 10], [2, 2, 5, 7]]) {
        const outShape = [shape[0], shape[1], Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)];
        const x = randomView(shape, rng, { special: true });
        for (const afterRelu of [false, true]) {
          const out = randomView(outShape, rng), idx = randomView(outShape, rng, { dtype: "int32" });
          compareKernel(`maxPool 2x2 [${shape}] generic=${generic} relu=${afterRelu}`, [out, idx], EXACT, (b, [o, i]) => b.maxPool(x, o, i, win, afterRelu));
        }
      }
      const x = nb.randn([3, 2, 18, 21]), w = nb.randn([5, 2, 3, 3]), bias = nb.randn([5]);
      const fused = nb.nn.functional.conv2dReluMaxPool2d(x, w, bias, {}, 2);
      assert.equal(fused.gradFn, null);
      const threeOps = nb.maxPool2d(nb.relu(nb.nn.functional.conv2d(x, w, bias)), 2);
      assert.deepEqual(fused.toArray(), threeOps.toArray(), `fused conv generic=${generic}`);
    }
  } finally {
    forceGenericGemm(false);
    nb.setBackend(previous);
  }
});

test("exp, sigmoid and tanh: the AVX2 polynomials stay within 1, 2 and 3 float32 ulps of the double-precision results; NaN and out-of-range blocks and the portable path are exact", { skip: skipNative }, () => {
  // Magnitudes from 1e-30 to 100 on a log scale, both signs, then a uniform sweep of [-100, 100].
  const n = 200_000;
  const xs = new Float32Array(n);
  for (let i = 0; i < n / 2; i++) xs[i] = (i % 2 ? 1 : -1) * Math.pow(10, -30 + 32 * (i / (n / 2)));
  for (let i = n / 2; i < n; i++) xs[i] = -100 + 200 * ((i - n / 2) / (n / 2));
  // Values the polynomials leave to the scalar path, in the middle of blocks.
  const special = [NaN, Infinity, -Infinity, 88.5, -87.5, 100, -100, 0, -0];
  special.forEach((v, k) => (xs[1003 + 17 * k] = v));
  const view = (buf: Float32Array): View => ({ buf, dtype: "float32", shape: [n], strides: [1], offset: 0 });
  const ordered = (v: number): number => {
    const bits = new Int32Array(new Float32Array([v]).buffer)[0];
    return bits < 0 ? -(bits & 0x7fffffff) : bits;
  };
  const maxUlps = { exp: 1, sigmoid: 2, tanh: 3 } as const;
  try {
    for (const generic of [false, true]) {
      forceGenericGemm(generic);
      for (const op of ["exp", "sigmoid", "tanh"] as const) {
        const ours = new Float32Array(n), ref = new Float32Array(n);
        native().unary(op, view(xs), view(ours));
        cpu.unary(op, view(xs), view(ref));
        for (let i = 0; i < n; i++) {
          const exact = generic || special.some((v, k) => i === 1003 + 17 * k);
          if (Number.isNaN(ref[i])) {
            assert.ok(Number.isNaN(ours[i]), `${op}(${xs[i]}) should be NaN`);
            continue;
          }
          const ulps = Math.abs(ordered(ours[i]) - ordered(ref[i]));
          assert.ok(ulps <= (exact ? 0 : maxUlps[op]), `${op}(${xs[i]}) = ${ours[i]}, double precision gives ${ref[i]} (${ulps} ulps${generic ? ", portable path" : ""})`);
        }
      }
    }
  } finally {
    forceGenericGemm(false);
  }
});

test("kernels agree with the cpu backend on 1 and 3 threads too", { skip: skipNative }, () => {
  const threads = nativeInfo()!.threads;
  const rng = new Rng(13);
  try {
    for (const n of [1, 3]) {
      setNativeThreads(n);
      const x = randomView([8, 8, 30, 30], rng), y = randomView([8, 8, 30, 30], rng);
      compareKernel(`relu on ${n} threads`, [y], EXACT, (b, [o]) => b.unary("relu", x, o));
      const s = randomView([1, 8, 1, 1], rng);
      compareKernel(`sum on ${n} threads`, [s], SUM, (b, [o]) => b.reduce("sum", x, [0, 2, 3], o));
      const p = randomView([8, 8, 15, 15], rng), i = randomView([8, 8, 15, 15], rng, { dtype: "int32" });
      const win = { kernel: [2, 2], stride: [2, 2], padBefore: [0, 0], padAfter: [0, 0], dilation: [1, 1] };
      compareKernel(`maxPool on ${n} threads`, [p, i], EXACT, (b, [o, ix]) => b.maxPool(x, o, ix, win));
    }
  } finally {
    setNativeThreads(threads);
  }
  assert.equal(nativeInfo()!.threads, threads);
});
