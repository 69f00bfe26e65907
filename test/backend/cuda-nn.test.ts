// The cuda backend's GEMM (cuBLAS), convolution (cuDNN), pooling, normalisation, index and random
// kernels against the cpu backend on random shapes and layouts. Skips with the reason when the
// backend is unavailable.
//
// Tolerances: cuBLAS and cuDNN accumulate in float32 (TF32 off, the default), the cpu in float64:
// GEMMs within rtol 1e-4 and atol 2e-5·√K; cuDNN may pick FFT or Winograd algorithms, whose
// float32 error is larger than a direct sum's: rtol 1e-3, atol 1e-4·√K. Pool maxima and indices,
// gathers and index selections are exact; average pools, norms and accumulating index kernels
// (atomicAdd in any order) within rtol 1e-5. Random draws: uniforms bit-exact, normals (Box–Muller
// in double on both sides, CUDA's vs V8's libm) within one float32 ulp, 1e-14 in float64.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import * as nb from "../../src/index.js";
import { EXACT, Rng, SUM, broadcastDims, compareCuda, convParams, cpu, randomView, skipCuda, type ConvCase, type Layout } from "./cuda-helpers.js";

const gemmTol = (k: number) => ({ rtol: 1e-4, atol: 2e-5 * Math.sqrt(Math.max(k, 1)) + 1e-6 });
const convTol = (k: number) => ({ rtol: 1e-3, atol: 1e-4 * Math.sqrt(Math.max(k, 1)) + 1e-6 });

/** a [.., rows, cols]; "transposed" stores it column-major. */
function matrix(batch: number[], rows: number, cols: number, rng: Rng, transposed: boolean, layout: Layout): View {
  if (!transposed) return randomView([...batch, rows, cols], rng, { layout });
  const v = randomView([...batch, cols, rows], rng, { layout });
  const r = v.shape.length;
  const shape = [...v.shape], strides = [...v.strides];
  [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  [strides[r - 2], strides[r - 1]] = [strides[r - 1], strides[r - 2]];
  return { ...v, shape, strides };
}

test("cuda matmul: sizes, transposed and gapped operands, offsets (cublasSgemmStridedBatched)", { skip: skipCuda }, () => {
  const rng = new Rng(201);
  const sizes: [number, number, number][] = [[1, 1, 1], [1, 7, 5], [7, 1, 5], [3, 5, 0], [0, 4, 3], [5, 17, 9], [13, 33, 70], [150, 70, 300], [257, 129, 65]];
  for (const [M, N, K] of sizes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = matrix([], M, K, rng, ta, rng.pick<Layout>(["dense", "offset", "gapped"]));
      const b = matrix([], K, N, rng, tb, rng.pick<Layout>(["dense", "offset", "gapped"]));
      compareCuda(`matmul ${M}x${K}·${K}x${N} ta=${ta} tb=${tb}`, [a, b], [randomView([M, N], rng, { layout: "offset" })], gemmTol(K), (be, [x, y], [o]) => be.matmul(x, y, o));
    }
  }
  // An operand cuBLAS cannot read in place (neither stride is 1) is copied to dense scratch first.
  const weird: View = { ...randomView([5 * 2 * 6 + 20], rng), shape: [5, 6], strides: [12, 2], offset: 1 };
  compareCuda("matmul with a doubly strided operand", [randomView([7, 5], rng), weird], [randomView([7, 6], rng, { layout: "offset" })], gemmTol(5),
    (be, [x, y], [o]) => be.matmul(x, y, o));
});

test("cuda matmul: batches with broadcasting, the folded x·W form, float64, int32 on the host", { skip: skipCuda }, () => {
  const rng = new Rng(202);
  const x = randomView([4, 3, 9, 20], rng), w = broadcastDims(randomView([4, 3, 20, 11], rng), [0, 1]);
  compareCuda("folded x·W", [x, w], [randomView([4, 3, 9, 11], rng)], gemmTol(20), (b, [p, q], [o]) => b.matmul(p, q, o));
  const a2 = broadcastDims(randomView([5, 6, 8], rng), [0]), b2 = matrix([5], 8, 7, rng, true, "offset");
  compareCuda("broadcast a", [a2, b2], [randomView([5, 6, 7], rng)], gemmTol(8), (b, [p, q], [o]) => b.matmul(p, q, o));
  const a4 = randomView([2, 3, 4, 6], rng), b4 = broadcastDims(randomView([2, 3, 6, 5], rng), [1]);
  compareCuda("two batch dims, one broadcast", [a4, b4], [randomView([2, 3, 4, 5], rng)], gemmTol(6), (b, [p, q], [o]) => b.matmul(p, q, o));
  const a0 = randomView([0, 3, 2], rng), b0 = randomView([0, 2, 3], rng);
  compareCuda("empty batch", [a0, b0], [randomView([0, 3, 3], rng)], gemmTol(3), (b, [p, q], [o]) => b.matmul(p, q, o));
  const a64 = randomView([3, 40, 50], rng, { dtype: "float64" }), b64 = randomView([3, 50, 30], rng, { dtype: "float64" });
  compareCuda("float64 (cublasDgemmStridedBatched)", [a64, b64], [randomView([3, 40, 30], rng, { dtype: "float64" })], { rtol: 1e-12, atol: 1e-12 },
    (b, [p, q], [o]) => b.matmul(p, q, o));
  const ai = randomView([5, 6], rng, { dtype: "int32" }), bi = randomView([6, 4], rng, { dtype: "int32" });
  compareCuda("int32 (cpu kernel on host copies)", [ai, bi], [randomView([5, 4], rng, { dtype: "int32" })], EXACT, (b, [p, q], [o]) => b.matmul(p, q, o), true);
});

test("cuda allowTF32 switches cuBLAS to TF32 tensor cores and back", { skip: skipCuda }, () => {
  const rng = new Rng(203);
  const a = randomView([256, 512], rng), b = randomView([512, 256], rng);
  const fp32 = () => {
    let r: Float32Array | null = null;
    compareCuda("fp32 product", [a, b], [randomView([256, 256], rng)], gemmTol(512), (be, [p, q], [o]) => {
      be.matmul(p, q, o);
      if (be.name === "cuda") r = be.readSync(o.buf, "float32", 0, 256 * 256) as Float32Array;
    });
    return r!;
  };
  const before = fp32();
  assert.equal(nb.cuda.allowTF32, false, "TF32 is off by default");
  nb.cuda.allowTF32 = true;
  try {
    assert.equal(nb.cuda.allowTF32, true);
    // TF32 keeps 10 mantissa bits in the products: within ~1e-3 of the float32 product, K = 512.
    compareCuda("tf32 product", [a, b], [randomView([256, 256], rng)], { rtol: 5e-3, atol: 5e-2 }, (be, [p, q], [o]) => be.matmul(p, q, o));
  } finally {
    nb.cuda.allowTF32 = false;
  }
  assert.deepEqual(fp32(), before, "turning TF32 off restores the float32 product bit for bit");
  assert.throws(() => ((nb.cuda as { allowTF32: unknown }).allowTF32 = "yes"), /expected a boolean/);
});

const CONV_CASES: ConvCase[] = [
  { name: "1→8 3x3 (MNIST's first layer)", x: [3, 1, 12, 11], w: [8, 1, 3, 3] },
  { name: "stride 2, dilation 2, asymmetric padding (padded copy)", x: [2, 2, 13, 12], w: [5, 2, 3, 2], stride: [2, 2], padBefore: [1, 0], padAfter: [2, 1], dilation: [2, 2] },
  { name: "6→10 3x3 pad 1", x: [3, 6, 9, 10], w: [10, 6, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "groups 2", x: [2, 6, 8, 8], w: [4, 3, 3, 3], groups: 2, padBefore: [1, 1], padAfter: [1, 1] },
  { name: "depthwise", x: [2, 4, 9, 9], w: [4, 1, 3, 3], groups: 4, padBefore: [1, 1], padAfter: [1, 1] },
  { name: "pointwise 1x1", x: [3, 40, 5, 6], w: [6, 40, 1, 1] },
  { name: "1x1 with stride 2 (ResNet downsample)", x: [2, 33, 7, 7], w: [4, 33, 1, 1], stride: [2, 2] },
  { name: "7x7 stride 2 pad 3 (ResNet stem)", x: [2, 3, 32, 32], w: [16, 3, 7, 7], stride: [2, 2], padBefore: [3, 3], padAfter: [3, 3] },
  { name: "1d (as 2d with H = 1)", x: [2, 5, 20], w: [3, 5, 4], stride: [3], padBefore: [2], padAfter: [2], dilation: [2] },
  { name: "3d", x: [2, 3, 5, 6, 7], w: [4, 3, 2, 3, 2], stride: [1, 2, 1], padBefore: [1, 0, 1], padAfter: [1, 0, 1] },
  { name: "kernel as large as the padded input", x: [2, 3, 4, 4], w: [2, 3, 6, 6], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "empty batch", x: [0, 3, 5, 5], w: [4, 3, 3, 3] },
  { name: "no output channels", x: [2, 3, 5, 5], w: [0, 3, 3, 3] },
];

test("cuda conv forward, backward-data and backward-filter through cuDNN: 1-3 spatial dims, strides, padding, dilation, groups", { skip: skipCuda }, () => {
  const rng = new Rng(204);
  for (const c of CONV_CASES) {
    const { p, out } = convParams(c);
    const taps = c.w.slice(1).reduce((a, b) => a * b, 1);
    const positions = out.slice(2).reduce((a, b) => a * b, 1);
    const x = randomView(c.x, rng, { layout: "offset" }), w = randomView(c.w, rng, { layout: "offset" });
    compareCuda(`conv ${c.name}`, [x, w], [randomView(out, rng, { layout: "offset" })], convTol(taps), (b, [i, k], [o]) => b.conv(i, k, o, p));
    const gy = randomView(out, rng);
    compareCuda(`convBackwardData ${c.name}`, [gy, w], [randomView(c.x, rng, { layout: "offset" })], convTol(c.w[0] * taps), (b, [g, k], [o]) => b.convBackwardData(g, k, o, p));
    compareCuda(`convBackwardFilter ${c.name}`, [x, gy], [randomView(c.w, rng, { layout: "offset" })], convTol(c.x[0] * positions), (b, [i, g], [o]) => b.convBackwardFilter(i, g, o, p));
  }
  // Non-contiguous operands are copied to dense scratch first; float64 runs in double.
  const { p, out } = convParams(CONV_CASES[2]);
  const xp = randomView(CONV_CASES[2].x, rng, { layout: "permuted" }), wp = randomView(CONV_CASES[2].w, rng, { layout: "gapped" });
  compareCuda("conv of permuted x and gapped w", [xp, wp], [randomView(out, rng, { layout: "gapped" })], convTol(54), (b, [i, k], [o]) => b.conv(i, k, o, p));
  const x64 = randomView(CONV_CASES[2].x, rng, { dtype: "float64" }), w64 = randomView(CONV_CASES[2].w, rng, { dtype: "float64" });
  compareCuda("conv float64", [x64, w64], [randomView(out, rng, { dtype: "float64" })], { rtol: 1e-10, atol: 1e-10 }, (b, [i, k], [o]) => b.conv(i, k, o, p));
});

/** Output size of a sliding window (ceil mode adds one more window when it starts inside). */
function windows(L: number, k: number, s: number, pb: number, pa: number, d: number, ceil = false): number {
  const span = d * (k - 1) + 1;
  const n = Math.floor((L + pb + pa - span) / s) + 1;
  return ceil && (n - 1) * s < L + pb && (L + pb + pa - span) % s !== 0 ? n + 1 : n;
}

test("cuda pooling: max, average (padding, ceil mode, divisors) and adaptive, forward and backward, 1-3 spatial dims", { skip: skipCuda }, () => {
  const rng = new Rng(205);
  const cases = [
    { x: [2, 3, 9, 8], k: [3, 3], s: [2, 2], pb: [1, 1], pa: [1, 1], d: [1, 1] },
    { x: [2, 3, 9, 8], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [2, 2, 6, 7], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1], ceil: true },
    { x: [1, 2, 11, 10], k: [3, 2], s: [2, 3], pb: [1, 0], pa: [1, 0], d: [2, 1], ceil: true },
    { x: [3, 2, 17], k: [4], s: [3], pb: [2], pa: [2], d: [1], ceil: true },
    { x: [1, 2, 5, 6, 7], k: [2, 3, 2], s: [1, 2, 2], pb: [1, 1, 0], pa: [1, 1, 0], d: [1, 1, 2] },
    { x: [2, 1, 1, 1], k: [1, 1], s: [1, 1], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [0, 3, 4, 4], k: [2, 2], s: [2, 2], pb: [0, 0], pa: [0, 0], d: [1, 1] },
    { x: [16, 64, 32, 32], k: [3, 3], s: [2, 2], pb: [1, 1], pa: [1, 1], d: [1, 1] },
  ];
  for (const [ci, c] of cases.entries()) {
    const nd = c.k.length;
    const outShape = [c.x[0], c.x[1], ...c.x.slice(2).map((L, i) => windows(L, c.k[i], c.s[i], c.pb[i], c.pa[i], c.d[i], c.ceil))];
    const p = { kernel: c.k, stride: c.s, padBefore: c.pb, padAfter: c.pa, dilation: c.d };
    const x = randomView(c.x, rng, { layout: "offset", special: ci % 2 === 1 });
    compareCuda(`maxPool ${nd}d [${c.x}]`, [x], [randomView(outShape, rng), randomView(outShape, rng, { dtype: "int32" })], EXACT,
      (b, [i], [o, k]) => b.maxPool(i, o, k, p));
    const idx = randomView(outShape, rng, { dtype: "int32" });
    cpu.maxPool(x, randomView(outShape, rng), idx, p);
    const gy = randomView(outShape, rng);
    compareCuda(`maxPoolBackward ${nd}d [${c.x}]`, [gy, idx], [randomView(c.x, rng)], SUM, (b, [g, k], [o]) => b.maxPoolBackward(g, k, o));
    const xf = randomView(c.x, rng);
    for (const [countIncludePad, divisorOverride] of [[true, undefined], [false, undefined], [true, 3]] as const) {
      const ap = { ...p, countIncludePad, divisorOverride };
      compareCuda(`avgPool ${nd}d [${c.x}] pad=${countIncludePad} div=${divisorOverride}`, [xf], [randomView(outShape, rng)], SUM, (b, [i], [o]) => b.avgPool(i, o, ap));
      compareCuda(`avgPoolBackward ${nd}d [${c.x}] pad=${countIncludePad}`, [gy], [randomView(c.x, rng)], SUM, (b, [g], [o]) => b.avgPoolBackward(g, o, ap));
    }
    for (const adaptive of [c.x.slice(2).map((L) => Math.max(1, Math.ceil(L / 2) - 1)), c.x.slice(2).map((L) => L + 2), c.x.slice(2).map(() => 1)]) {
      const ao = [c.x[0], c.x[1], ...adaptive];
      compareCuda(`adaptiveAvgPool [${c.x}] → [${adaptive}]`, [xf], [randomView(ao, rng)], SUM, (b, [i], [o]) => b.adaptiveAvgPool(i, o));
      compareCuda(`adaptiveMaxPool [${c.x}] → [${adaptive}]`, [x], [randomView(ao, rng), randomView(ao, rng, { dtype: "int32" })], EXACT,
        (b, [i], [o, k]) => b.adaptiveMaxPool(i, o, k));
      compareCuda(`adaptiveAvgPoolBackward [${c.x}] → [${adaptive}]`, [randomView(ao, rng)], [randomView(c.x, rng)], SUM, (b, [g], [o]) => b.adaptiveAvgPoolBackward(g, o));
    }
  }
  // A strided x is pooled from a dense copy.
  const xs = randomView([2, 3, 8, 8], rng, { layout: "permuted" });
  const p2 = { kernel: [2, 2], stride: [2, 2], padBefore: [0, 0], padAfter: [0, 0], dilation: [1, 1] };
  compareCuda("maxPool of a permuted x", [xs], [randomView([2, 3, 4, 4], rng), randomView([2, 3, 4, 4], rng, { dtype: "int32" })], EXACT, (b, [i], [o, k]) => b.maxPool(i, o, k, p2));
});

test("cuda moments, channelMoments, batchNormApply and batchNormBackward (with and without affine)", { skip: skipCuda }, () => {
  const rng = new Rng(206);
  for (const [rows, cols] of [[6, 35], [1, 1], [4, 1], [3, 2000], [2000, 64]]) {
    const x = randomView([rows, cols], rng, { layout: "offset" });
    compareCuda(`moments ${rows}x${cols}`, [x], [randomView([rows, 1], rng, { layout: "gapped" }), randomView([rows], rng)], SUM,
      (b, [i], [m, r]) => b.moments(i, rows, cols, 1e-5, m, r));
  }
  const xt = randomView([5, 12], rng, { layout: "permuted" });
  compareCuda("moments of a transposed x", [xt], [randomView([5], rng), randomView([5], rng)], SUM, (b, [i], [m, r]) => b.moments(i, 5, 12, 1e-5, m, r));
  for (const shape of [[4, 5, 3, 3], [2, 3], [5, 2, 7], [1, 4, 2, 2, 2], [64, 16, 16, 16], [0, 3, 2]]) {
    const C = shape[1];
    const x = randomView(shape, rng, { layout: "offset" });
    compareCuda(`channelMoments [${shape}]`, [x], [randomView([C], rng), randomView([C], rng, { layout: "gapped" })], SUM, (b, [i], [m, v]) => b.channelMoments(i, m, v));
    const mu = randomView([C], rng), rstd = randomView([C], rng, { positive: true });
    for (const affine of [false, true]) {
      const w = affine ? randomView([C], rng) : null, bias = affine ? randomView([C], rng, { layout: "offset" }) : null;
      const ins = [x, mu, rstd, ...(w ? [w] : []), ...(bias ? [bias] : [])];
      compareCuda(`batchNormApply [${shape}] affine=${affine}`, ins, [randomView(shape, rng)], SUM, (b, [i, m, r, ww, bb], [o]) =>
        b.batchNormApply(i, m, r, affine ? ww : null, affine ? bb : null, o));
      const gy = randomView(shape, rng);
      const bins = [gy, x, mu, rstd, ...(w ? [w] : [])];
      compareCuda(`batchNormBackward [${shape}] affine=${affine}`, bins, [randomView(shape, rng), randomView([C], rng), randomView([C], rng)], SUM,
        (b, [g, i, m, r, ww], [o, ow, ob]) => b.batchNormBackward(g, i, m, r, affine ? ww : null, o, affine ? ow : null, affine ? ob : null));
    }
  }
});

test("cuda indexSelect, indexAdd, gather and scatterAdd on random shapes, axes and layouts (repeated indices add up)", { skip: skipCuda }, () => {
  const rng = new Rng(207);
  const indexView = (n: number, size: number): View => {
    const v = randomView([n], rng, { dtype: "int32", layout: rng.pick<Layout>(["dense", "offset", "gapped"]) });
    const b = v.buf as Int32Array;
    for (let i = 0; i < b.length; i++) b[i] = rng.int(0, size - 1);
    return v;
  };
  for (const shape of [[5, 6, 7], [10], [3, 1, 4], [50, 64]]) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const dtype of ["float32", "float64", "int32"] as const) {
        const x = randomView(shape, rng, { dtype, layout: rng.pick<Layout>(["dense", "offset", "gapped", "permuted"]) });
        const n = rng.int(1, 9);
        const index = indexView(n, shape[axis]);
        const outShape = shape.map((d, i) => (i === axis ? n : d));
        compareCuda(`indexSelect ${dtype} [${shape}] axis ${axis}`, [x, index], [randomView(outShape, rng, { dtype, layout: "gapped" })], EXACT,
          (b, [i, k], [o]) => b.indexSelect(i, axis, k, o));
        const src = randomView(outShape, rng, { dtype, layout: rng.pick<Layout>(["dense", "permuted"]) });
        compareCuda(`indexAdd ${dtype} [${shape}] axis ${axis}`, [index, src], [randomView(shape, rng, { dtype })], dtype === "int32" ? EXACT : SUM,
          (b, [k, s], [o]) => b.indexAdd(o, axis, k, s));
        // gather / scatterAdd: index of x's rank, at most x's size off the axis.
        const gShape = shape.map((d, i) => (i === axis ? rng.int(1, 6) : rng.int(1, d)));
        const g = randomView(gShape, rng, { dtype: "int32" });
        const gb = g.buf as Int32Array;
        for (let i = 0; i < gb.length; i++) gb[i] = rng.int(0, shape[axis] - 1);
        compareCuda(`gather ${dtype} [${shape}] axis ${axis}`, [x, g], [randomView(gShape, rng, { dtype })], EXACT, (b, [i, k], [o]) => b.gather(i, axis, k, o));
        const gsrc = randomView(gShape.map((d) => d + rng.int(0, 1)), rng, { dtype });
        compareCuda(`scatterAdd ${dtype} [${shape}] axis ${axis}`, [g, gsrc], [randomView(shape, rng, { dtype })], dtype === "int32" ? EXACT : SUM,
          (b, [k, s], [o]) => b.scatterAdd(o, axis, k, s));
      }
    }
  }
  // An embedding lookup (0-d index too) and a bool indexAdd (the cpu kernel on host copies).
  const table = randomView([1000, 64], rng);
  compareCuda("embedding lookup", [table, indexView(300, 1000)], [randomView([300, 64], rng)], EXACT, (b, [t, k], [o]) => b.indexSelect(t, 0, k, o));
  const scalarIndex: View = { buf: Int32Array.of(7), dtype: "int32", shape: [], strides: [], offset: 0 };
  compareCuda("0-d index", [table, scalarIndex], [randomView([1, 64], rng)], EXACT, (b, [t, k], [o]) => b.indexSelect(t, 0, k, o));
  const boolOut = randomView([4, 3], rng, { dtype: "bool" }), boolSrc = randomView([2, 3], rng, { dtype: "bool" });
  compareCuda("bool indexAdd on the host", [indexView(2, 4), boolSrc], [boolOut], EXACT, (b, [k, s], [o]) => b.indexAdd(o, 0, k, s), true);
});

test("cuda random draws the cpu backend's Philox numbers for the same seed and offset, through any layout", { skip: skipCuda }, () => {
  const rng = new Rng(208);
  const seeds: [bigint, bigint][] = [[0n, 0n], [42n, 3n], [(1n << 40n) + 5n, (1n << 33n) + 7n], [0xffffffffffffffffn, 0xfffffffffffffff0n]];
  for (const [seed, offset] of seeds) {
    for (const shape of [[1], [3], [7, 5], [4, 0], [1000, 333]]) {
      const layout = rng.pick<Layout>(["dense", "offset", "gapped", "permuted"]);
      compareCuda(`uniform seed ${seed} offset ${offset} [${shape}] ${layout}`, [], [randomView(shape, rng, { layout })], EXACT,
        (b, _, [o]) => b.random(o, "uniform", seed, offset));
      compareCuda(`normal float32 seed ${seed} [${shape}] ${layout}`, [], [randomView(shape, rng, { layout })], { rtol: 1.2e-7, atol: 1e-7 },
        (b, _, [o]) => b.random(o, "normal", seed, offset));
      compareCuda(`normal float64 seed ${seed} [${shape}]`, [], [randomView(shape, rng, { dtype: "float64" })], { rtol: 1e-14, atol: 1e-14 },
        (b, _, [o]) => b.random(o, "normal", seed, offset));
    }
  }
  // Through the public API: the same seed gives the same tensor on cpu and cuda (dropout masks too).
  nb.manualSeed(123);
  const onCpu = nb.randn([64, 33], { device: "cpu" }).dataSync();
  nb.manualSeed(123);
  const onCuda = nb.randn([64, 33], { device: "cuda" }).dataSync();
  for (let i = 0; i < onCpu.length; i++) assert.ok(Math.abs(onCuda[i] - onCpu[i]) <= 1.2e-7 * Math.abs(onCpu[i]) + 1e-7, `randn element ${i}`);
});
