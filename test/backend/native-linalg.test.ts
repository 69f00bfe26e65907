// The native GEMM (matmul) and convolution kernels against the cpu backend on random shapes, with
// every micro-kernel the CPU has (AVX-512, AVX2/FMA, the portable one) and several thread counts.
//
// Tolerance: the native kernels accumulate in float32 (FMA), the cpu backend in float64, so a dot
// product of K standard-normal terms may differ by a few float32 ulps of its partial sums:
// |Δ| ≤ 1e-5·√K·(scale) with generous slack, here atol 2e-5·√K and rtol 1e-4.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { forceGenericGemm, nativeInfo, setConvBatchedMaxPlane } from "../../src/backend/native/index.js";
import { Rng, broadcastDims, forEachKernel, cloneView, compareKernel, convParams, native, randomView, skipNative, type ConvCase, type Layout, withThreads } from "./native-helpers.js";

const gemmTol = (k: number) => ({ rtol: 1e-4, atol: 2e-5 * Math.sqrt(Math.max(k, 1)) + 1e-6 });


/** a [.., M, K] in the given layout ("t" stores it transposed: column-major). */
function matrix(batch: number[], rows: number, cols: number, rng: Rng, transposed: boolean, layout: Layout): View {
  if (!transposed) return randomView([...batch, rows, cols], rng, { layout });
  const v = randomView([...batch, cols, rows], rng, { layout });
  const r = v.shape.length;
  const shape = [...v.shape], strides = [...v.strides];
  [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  [strides[r - 2], strides[r - 1]] = [strides[r - 1], strides[r - 2]];
  return { ...v, shape, strides };
}

const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 5], [7, 1, 5], [3, 5, 0], [0, 4, 3], [5, 17, 9], [6, 16, 8], [12, 32, 8], [13, 33, 70], [25, 47, 193], [37, 300, 19],
  [150, 70, 300], [70, 150, 300], [161, 97, 200], [300, 20, 7],
];

test("matmul: sizes around the micro-tile and the cache blocks, transposed and strided operands, both micro-kernels", { skip: skipNative }, () => {
  const rng = new Rng(21);
  forEachKernel((kernel) => {
    for (const [M, N, K] of SIZES) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const layout = rng.pick<Layout>(["dense", "offset", "gapped"]);
        const a = matrix([], M, K, rng, ta, layout), b = matrix([], K, N, rng, tb, rng.pick<Layout>(["dense", "offset", "gapped"]));
        const out = randomView([M, N], rng, { layout: "offset" });
        compareKernel(`${kernel} matmul ${M}x${K}·${K}x${N} ta=${ta} tb=${tb} ${layout}`, [out], gemmTol(K), (be, [o]) => be.matmul(a, b, o));
      }
    }
  });
});

test("matmul: batches with broadcasting, the folded x·W form, and many small products over threads", { skip: skipNative }, () => {
  const rng = new Rng(22);
  // Broadcast weight: x [4, 3, M, K] · W [K, N] (batch strides 0) folds into one tall product.
  const x = randomView([4, 3, 9, 20], rng), w = broadcastDims(randomView([4, 3, 20, 11], rng), [0, 1]);
  const out = randomView([4, 3, 9, 11], rng);
  compareKernel("folded x·W", [out], gemmTol(20), (b, [o]) => b.matmul(x, w, o));
  // Broadcast left operand, transposed right one, batch of 1.
  const a2 = broadcastDims(randomView([5, 6, 8], rng), [0]), b2 = matrix([5], 8, 7, rng, true, "offset");
  compareKernel("broadcast a", [randomView([5, 6, 7], rng)], gemmTol(8), (b, [o]) => b.matmul(a2, b2, o));
  const a1 = randomView([1, 4, 3], rng), b1 = randomView([1, 3, 4], rng);
  compareKernel("batch of 1", [randomView([1, 4, 4], rng)], gemmTol(4), (b, [o]) => b.matmul(a1, b1, o));
  // Many small products (each on one thread) and an empty batch.
  const a3 = randomView([64, 10, 12], rng), b3 = randomView([64, 12, 10], rng);
  compareKernel("64 small products", [randomView([64, 10, 10], rng)], gemmTol(12), (b, [o]) => b.matmul(a3, b3, o));
  const a0 = randomView([0, 3, 2], rng), b0 = randomView([0, 2, 3], rng);
  compareKernel("empty batch", [randomView([0, 3, 3], rng)], gemmTol(3), (b, [o]) => b.matmul(a0, b0, o));
});

test("matmul: a product large enough for the thread pool agrees on 1, 2 and 3 threads", { skip: skipNative }, () => {
  const rng = new Rng(23);
  const a = randomView([200, 270], rng), b = matrix([], 270, 190, rng, true, "dense");
  for (const n of [1, 2, 3]) {
    withThreads(n, () => compareKernel(`200x270·270x190 on ${n} threads`, [randomView([200, 190], rng)], gemmTol(270), (be, [o]) => be.matmul(a, b, o)));
  }
});

const CONV_CASES: ConvCase[] = [
  { name: "thin 1→8 3x3 (MNIST's first layer, direct)", x: [3, 1, 12, 11], w: [8, 1, 3, 3] },
  { name: "thin, stride 2, dilation 2, asymmetric padding (direct)", x: [2, 2, 13, 12], w: [5, 2, 3, 2], stride: [2, 2], padBefore: [1, 0], padAfter: [2, 1], dilation: [2, 2] },
  { name: "wide 6→10 3x3 pad 1 (im2col + GEMM)", x: [3, 6, 9, 10], w: [10, 6, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "wide, stride 2 and dilation (im2col + GEMM)", x: [2, 7, 15, 14], w: [9, 7, 3, 3], stride: [2, 2], padBefore: [2, 1], padAfter: [0, 1], dilation: [1, 2] },
  { name: "16 channels, taps 72 (direct; backward-filter on transposed gy)", x: [3, 8, 13, 13], w: [16, 8, 3, 3] },
  { name: "12 channels, taps 45, padded (transposed backward-filter, partial tiles)", x: [2, 5, 9, 8], w: [12, 5, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "groups 2, taps 27 (direct)", x: [2, 6, 8, 8], w: [4, 3, 3, 3], groups: 2, padBefore: [1, 1], padAfter: [1, 1] },
  { name: "groups 2, taps 36 (GEMM)", x: [2, 8, 8, 7], w: [6, 4, 3, 3], groups: 2 },
  { name: "depthwise", x: [2, 4, 9, 9], w: [4, 1, 3, 3], groups: 4, padBefore: [1, 1], padAfter: [1, 1] },
  { name: "pointwise 1x1, 40 channels (GEMM on the image itself)", x: [3, 40, 5, 6], w: [6, 40, 1, 1] },
  { name: "pointwise 1x1, 5 channels (direct)", x: [2, 5, 4, 4], w: [3, 5, 1, 1] },
  { name: "1x1 with stride 2", x: [2, 33, 7, 7], w: [4, 33, 1, 1], stride: [2, 2] },
  { name: "1d thin", x: [2, 5, 20], w: [3, 5, 4], stride: [3], padBefore: [2], padAfter: [2], dilation: [2] },
  { name: "1d wide", x: [2, 12, 20], w: [7, 12, 3], padBefore: [1], padAfter: [1] },
  { name: "3d wide", x: [2, 3, 5, 6, 7], w: [4, 3, 2, 3, 2], stride: [1, 2, 1], padBefore: [1, 0, 1], padAfter: [1, 0, 1] },
  { name: "3d thin", x: [2, 1, 4, 5, 6], w: [2, 1, 2, 2, 2] },
  { name: "20 output channels, stride 1 (implicit GEMM on the padded image)", x: [2, 5, 7, 8], w: [20, 5, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "groups 2 with 17 output channels each (implicit GEMM)", x: [2, 8, 6, 6], w: [34, 4, 3, 3], groups: 2, padBefore: [0, 1], padAfter: [1, 0] },
  { name: "20 input channels: backward-data as an implicit GEMM", x: [2, 20, 6, 6], w: [3, 20, 3, 3], padBefore: [2, 2], padAfter: [2, 2] },
  { name: "padding wider than the kernel reaches (backward-data through col2im)", x: [2, 3, 5, 5], w: [4, 3, 2, 2], padBefore: [2, 2], padAfter: [2, 2] },
  { name: "batch 1, big image (implicit GEMM, pool-parallel GEMM)", x: [1, 16, 130, 130], w: [3, 16, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "batch 1, stride 2, im2col in chunks of positions", x: [1, 16, 242, 242], w: [3, 16, 3, 3], stride: [2, 2], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "kernel as large as the padded input", x: [2, 3, 4, 4], w: [2, 3, 6, 6], padBefore: [1, 1], padAfter: [1, 1] },
  { name: "empty batch", x: [0, 3, 5, 5], w: [4, 3, 3, 3] },
  { name: "no output channels", x: [2, 3, 5, 5], w: [0, 3, 3, 3] },
];

function checkConv(c: ConvCase, rng: Rng, label: string): void {
  const { p, out } = convParams(c);
  const taps = c.w.slice(1).reduce((a, b) => a * b, 1);
  const x = randomView(c.x, rng, { layout: "offset" }), w = randomView(c.w, rng, { layout: "offset" });
  compareKernel(`${label} conv ${c.name}`, [randomView(out, rng, { layout: "offset" })], gemmTol(taps), (b, [o]) => b.conv(x, w, o, p));
  const gy = randomView(out, rng);
  const positions = out.slice(2).reduce((a, b) => a * b, 1);
  compareKernel(`${label} convBackwardData ${c.name}`, [randomView(c.x, rng, { layout: "offset" })], gemmTol(c.w[0] * taps), (b, [g]) => b.convBackwardData(gy, w, g, p));
  compareKernel(`${label} convBackwardFilter ${c.name}`, [randomView(c.w, rng, { layout: "offset" })], gemmTol(c.x[0] * positions), (b, [g]) => b.convBackwardFilter(x, gy, g, p));
  // The bias folded into the forward kernel (a strided bias view), its gradient into backward-filter.
  const bias = randomView([c.w[0]], rng, { layout: "gapped" });
  compareKernel(`${label} conv with bias ${c.name}`, [randomView(out, rng, { layout: "offset" })], gemmTol(taps), (b, [o]) => b.conv(x, w, o, p, bias));
  compareKernel(
    `${label} convBackwardFilter with the bias gradient ${c.name}`, [randomView(c.w, rng), randomView([c.w[0]], rng, { layout: "gapped" })],
    gemmTol(c.x[0] * positions), (b, [g, gb]) => b.convBackwardFilter(x, gy, g, p, gb),
  );
}

/** Run body with the batched-planes path off (0), at its default, and taking every plane. */
function forEachPlaneStrategy(body: (name: string) => void): void {
  const defaultThreshold = setConvBatchedMaxPlane(0)!;
  try {
    for (const [name, n] of [["per-image", 0], ["batched", Number.MAX_SAFE_INTEGER], ["default", defaultThreshold]] as const) {
      setConvBatchedMaxPlane(n);
      body(name);
    }
  } finally {
    setConvBatchedMaxPlane(defaultThreshold);
  }
}

test("conv forward, backward-data and backward-filter: direct and im2col paths, 1-3 spatial dims, strides, padding, dilation, groups", { skip: skipNative }, () => {
  const rng = new Rng(24);
  forEachKernel((kernel) => {
    forEachPlaneStrategy((planes) => {
      for (const c of CONV_CASES) checkConv(c, rng, `${kernel} ${planes}`);
    });
  });
});

test("deep layers on small planes (ResNet-18 at 32x32: 1x1, 2x2, 4x4) take the batched path and agree with cpu", { skip: skipNative }, () => {
  const rng = new Rng(28);
  const cases: ConvCase[] = [
    { name: "3x3 pad 1 on 1x1 planes", x: [6, 40, 1, 1], w: [24, 40, 3, 3], padBefore: [1, 1], padAfter: [1, 1] },
    { name: "3x3 stride 2 pad 1, 2x2 → 1x1", x: [5, 16, 2, 2], w: [32, 16, 3, 3], stride: [2, 2], padBefore: [1, 1], padAfter: [1, 1] },
    { name: "1x1 stride 2 downsample", x: [7, 24, 4, 4], w: [40, 24, 1, 1], stride: [2, 2] },
    { name: "groups 2 on 3x3 planes", x: [4, 12, 3, 3], w: [18, 6, 3, 3], groups: 2, padBefore: [1, 1], padAfter: [1, 1] },
    // Taps that only read padding are skipped: here one of three kernel rows, with groups.
    { name: "groups 3 on 1x2 planes (live taps only)", x: [4, 6, 1, 2], w: [9, 2, 3, 3], groups: 3, padBefore: [1, 1], padAfter: [1, 1] },
  ];
  for (const n of [1, 3]) {
    withThreads(n, () => {
      for (const c of cases) checkConv(c, rng, `${n} threads`);
      // Blocks of images: a column block larger than the cap splits the batch.
      checkConv({ name: "many images in blocks", x: [120, 32, 8, 8], w: [20, 32, 3, 3], padBefore: [1, 1], padAfter: [1, 1] }, rng, `${n} threads`);
    });
  }
});

test("conv backward-filter of a thin layer with an infinity in the image sums valid positions only (no 0·∞ NaN)", { skip: skipNative }, () => {
  const rng = new Rng(27);
  for (const c of [CONV_CASES[0], CONV_CASES[4]]) {
    const { p, out } = convParams(c);
    const x = randomView(c.x, rng), gy = randomView(out, rng);
    // One infinity in the last column of an image: only the window taps that reach it may become infinite.
    const xs = x.buf as Float32Array;
    xs[c.x[3] - 1] = Infinity;
    xs[xs.length - 1] = -Infinity;
    compareKernel(`convBackwardFilter with ±inf, ${c.name}`, [randomView(c.w, rng)], gemmTol(c.x[0] * out[2] * out[3]), (b, [g]) => b.convBackwardFilter(x, gy, g, p));
  }
});

test("conv agrees on 1 and 3 threads (per-image split with per-thread filter gradients)", { skip: skipNative }, () => {
  const rng = new Rng(25);
  for (const n of [1, 3]) {
    withThreads(n, () => {
      for (const c of CONV_CASES.filter((k) => k.x[0] >= 2)) checkConv(c, rng, `${n} threads`);
    });
  }
});

test("results are bit-for-bit reproducible run to run (per-thread filter gradients are summed in a fixed order)", { skip: skipNative }, () => {
  const rng = new Rng(26);
  const b = native();
  for (const c of [CONV_CASES[0], CONV_CASES[2], CONV_CASES[7]]) {
    const { p, out } = convParams({ ...c, x: [9, ...c.x.slice(1)] });
    const x = randomView([9, ...c.x.slice(1)], rng), gy = randomView(out, rng);
    const first = randomView(c.w, rng), again = cloneView(first);
    b.convBackwardFilter(x, gy, first, p);
    for (let rep = 0; rep < 5; rep++) {
      b.convBackwardFilter(x, gy, again, p);
      assert.deepEqual(again.buf, first.buf, c.name);
    }
  }
  const a = randomView([300, 200], rng), m = randomView([200, 250], rng);
  const o1 = randomView([300, 250], rng), o2 = cloneView(o1);
  b.matmul(a, m, o1);
  b.matmul(a, m, o2);
  assert.deepEqual(o2.buf, o1.buf);
});

test("the micro-kernel in use is reported, and forcing the portable one is undone", { skip: skipNative }, () => {
  const info = nativeInfo()!;
  assert.equal(info.gemmKernel, ({ avx512: "avx512f", avx2: "avx2-fma", generic: "generic" } as const)[info.isa]);
  forceGenericGemm(true);
  assert.equal(nativeInfo()!.gemmKernel, "generic");
  forceGenericGemm(false);
  assert.equal(nativeInfo()!.gemmKernel, info.gemmKernel);
});
