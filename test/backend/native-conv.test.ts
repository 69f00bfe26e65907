// The convolution algorithms chosen per shape (issue 21) against the cpu backend, each forced on
// the geometries it takes (forceConvAlgorithm) and checked to have run (convAlgorithmsUsed):
// Winograd F(4×4, 3×3) (forward and backward-data), the strided 1×1 gather + GEMM, the pointwise
// GEMM on the image itself and the depthwise kernels — odd sizes, padding, stride 2, groups,
// batch 1, one and several threads. Also: what choose() picks for ResNet's layers.
//
// Tolerance: as native-linalg's (float32 accumulation vs the cpu backend's float64: atol
// 2e-5·√taps, rtol 1e-4), except Winograd, whose transforms scale partial sums by up to 8·8
// (input) and 1/24 (filters), so its error grows with the sum of |x|·|w| over the taps rather than
// with √taps. Stated and checked here: atol 1e-4·√taps, rtol 1e-3 for standard-normal data and
// weights, and at most 1e-4 of the output's largest magnitude on ResNet-18's layers.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConvParams, View } from "../../src/backend/backend.js";
import { convAlgorithmsUsed, forceConvAlgorithm } from "../../src/backend/native/index.js";
import { Rng, cloneView, compareKernel, convParams, cpu, forEachKernel, native, randomView, skipNative, type ConvCase, withThreads } from "./native-helpers.js";

const gemmTol = (k: number) => ({ rtol: 1e-4, atol: 2e-5 * Math.sqrt(Math.max(k, 1)) + 1e-6 });
const winogradTol = (k: number) => ({ rtol: 1e-3, atol: 1e-4 * Math.sqrt(Math.max(k, 1)) + 1e-6 });

type Pass = "forward" | "backwardData" | "backwardFilter";

function forcing(name: string, body: () => void): void {
  const before = forceConvAlgorithm(name);
  try {
    body();
  } finally {
    forceConvAlgorithm(before ?? null);
  }
}

/**
 * Each pass of c on both backends (with a bias and its gradient), asserting that the passes in
 * `expect` ran algorithm `algo` natively.
 */
function checkCase(c: ConvCase, rng: Rng, label: string, algo: string, expect: Pass[], tol: (k: number) => { rtol: number; atol: number }): void {
  const { p, out } = convParams(c);
  const taps = c.w.slice(1).reduce((a, b) => a * b, 1);
  const positions = out.slice(2).reduce((a, b) => a * b, 1);
  const x = randomView(c.x, rng, { layout: "offset" }), w = randomView(c.w, rng, { layout: "offset" });
  const bias = randomView([c.w[0]], rng, { layout: "gapped" });
  const gy = randomView(out, rng);
  const ran = (pass: Pass) => {
    if (expect.includes(pass)) assert.equal(convAlgorithmsUsed()![pass], algo, `${label} ${c.name}: ${pass} ran ${convAlgorithmsUsed()![pass]}, not ${algo}`);
  };
  compareKernel(`${label} conv ${c.name}`, [randomView(out, rng, { layout: "offset" })], tol(taps), (b, [o]) => b.conv(x, w, o, p, bias));
  ran("forward");
  compareKernel(`${label} convBackwardData ${c.name}`, [randomView(c.x, rng, { layout: "offset" })], tol(c.w[0] * taps), (b, [g]) => b.convBackwardData(gy, w, g, p));
  ran("backwardData");
  compareKernel(
    `${label} convBackwardFilter ${c.name}`, [randomView(c.w, rng, { layout: "offset" }), randomView([c.w[0]], rng, { layout: "gapped" })],
    gemmTol(c.x[0] * positions), (b, [g, gb]) => b.convBackwardFilter(x, gy, g, p, gb),
  );
  ran("backwardFilter");
}

const pad = (n: number) => ({ padBefore: [n, n], padAfter: [n, n] });

const WINOGRAD_CASES: ConvCase[] = [
  { name: "batch 1, 13x11 (partial tiles), pad 1", x: [1, 9, 13, 11], w: [7, 9, 3, 3], ...pad(1) },
  { name: "batch 3, 8x8 (whole tiles), no padding", x: [3, 16, 8, 8], w: [20, 16, 3, 3] },
  { name: "asymmetric padding, 1 output row", x: [2, 5, 3, 17], w: [6, 5, 3, 3], padBefore: [0, 2], padAfter: [0, 1] },
  { name: "pad 2 (backward-data pad 0), 5x6", x: [2, 3, 5, 6], w: [4, 3, 3, 3], ...pad(2) },
  { name: "tiles over several chunks", x: [4, 40, 30, 29], w: [33, 40, 3, 3], ...pad(1) },
];

test("Winograd F(4x4, 3x3): forward and backward-data against cpu, partial tiles, padding, chunks, 1 and 3 threads", { skip: skipNative }, () => {
  const rng = new Rng(210);
  forcing("winograd", () => {
    forEachKernel((kernel) => {
      for (const th of [1, 3]) {
        withThreads(th, () => {
          for (const c of WINOGRAD_CASES) checkCase(c, rng, `${kernel} ${th} threads winograd`, "winograd", ["forward", "backwardData"], winogradTol);
        });
      }
    });
  });
});

test("Winograd with an infinity or NaN in the image or a filter gives cpu's infinities and NaNs (it runs im2col + GEMM then)", { skip: skipNative }, () => {
  const rng = new Rng(216);
  const c: ConvCase = { name: "", x: [2, 6, 9, 10], w: [5, 6, 3, 3], ...pad(1) };
  const { p, out } = convParams(c);
  forcing("winograd", () => {
    for (const where of ["image", "filter", "gy"] as const) {
      const x = randomView(c.x, rng), w = randomView(c.w, rng), gy = randomView(out, rng);
      const target = (where === "image" ? x : where === "filter" ? w : gy).buf as Float32Array;
      target[7] = Infinity;
      target[target.length - 3] = NaN;
      if (where !== "gy") compareKernel(`conv, ±∞/NaN in the ${where}`, [randomView(out, rng)], winogradTol(54), (b, [o]) => b.conv(x, w, o, p));
      if (where !== "image") compareKernel(`convBackwardData, ±∞/NaN in the ${where}`, [randomView(c.x, rng)], winogradTol(270), (b, [g]) => b.convBackwardData(gy, w, g, p));
    }
  });
});

test("Winograd is never forced where it cannot run (stride 2, 5x5, groups, dilation, 1-d)", { skip: skipNative }, () => {
  const rng = new Rng(211);
  const cases: ConvCase[] = [
    { name: "stride 2", x: [2, 8, 9, 9], w: [8, 8, 3, 3], stride: [2, 2], ...pad(1) },
    { name: "5x5", x: [2, 8, 9, 9], w: [8, 8, 5, 5], ...pad(2) },
    { name: "groups 2", x: [2, 8, 9, 9], w: [8, 4, 3, 3], groups: 2, ...pad(1) },
    { name: "dilation 2", x: [2, 8, 9, 9], w: [8, 8, 3, 3], dilation: [2, 2], ...pad(2) },
    { name: "1-d", x: [2, 8, 9], w: [8, 8, 3], padBefore: [1], padAfter: [1] },
    { name: "padding wider than the kernel reaches (backward-data)", x: [2, 8, 6, 6], w: [8, 8, 3, 3], ...pad(3) },
  ];
  forcing("winograd", () => {
    for (const c of cases) {
      checkCase(c, rng, "forced winograd", "winograd", [], gemmTol);
      const used = convAlgorithmsUsed()!;
      assert.notEqual(used.backwardFilter, "winograd", c.name);
      if (c.name !== "padding wider than the kernel reaches (backward-data)") assert.notEqual(used.forward, "winograd", c.name);
      assert.notEqual(used.backwardData, "winograd", c.name);
    }
  });
});

test("Winograd's error on ResNet-18's 3x3 layers (batch 1) stays within 1e-4 of the output's scale", { skip: skipNative }, () => {
  // Kaiming-scaled weights as in a trained net: the outputs are O(1). Reported max |Δ| / max |y|.
  const rng = new Rng(212);
  for (const [C, H] of [[64, 56], [128, 28], [256, 14]] as const) {
    const c: ConvCase = { name: `${C}→${C} @${H}`, x: [1, C, H, H], w: [C, C, 3, 3], ...pad(1) };
    const { p, out } = convParams(c);
    const x = randomView(c.x, rng), w = randomView(c.w, rng);
    const s = Math.sqrt(2 / (9 * C));
    for (let i = 0; i < (w.buf as Float32Array).length; i++) (w.buf as Float32Array)[i] *= s;
    const o = randomView(out, rng, { layout: "dense" });
    const run = (algo: string | null) => {
      const r = cloneView(o);
      forcing(algo ?? "", () => (algo ? native() : cpu).conv(x, w, r, p));
      return r.buf as Float32Array;
    };
    const ref = run(null), win = run("winograd");
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < ref.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(win[i] - ref[i]));
      maxRef = Math.max(maxRef, Math.abs(ref[i]));
    }
    assert.ok(maxErr <= 1e-4 * maxRef, `${c.name}: max |Δ| ${maxErr} vs max |y| ${maxRef}`);
    if (process.env.NABLA_REPORT_WINOGRAD_ERROR) console.log(`winograd ${c.name}: max |Δ| ${maxErr.toExponential(2)}, max |y| ${maxRef.toFixed(2)}, ratio ${(maxErr / maxRef).toExponential(2)}`);
  }
});

test("strided 1x1 (gather + GEMM) and pointwise 1x1 (GEMM on the image): all passes, odd sizes, groups, batch 1, 1 and 3 threads", { skip: skipNative }, () => {
  const rng = new Rng(213);
  const strided: ConvCase[] = [
    { name: "stride 2, 7x7 → 4x4, batch 1", x: [1, 33, 7, 7], w: [17, 33, 1, 1], stride: [2, 2] },
    { name: "stride 2x3, 10x11, batch 3", x: [3, 12, 10, 11], w: [9, 12, 1, 1], stride: [2, 3] },
    { name: "groups 3, stride 2", x: [2, 9, 9, 8], w: [6, 3, 1, 1], groups: 3, stride: [2, 2] },
    { name: "1-d stride 3", x: [2, 10, 20], w: [5, 10, 1], stride: [3] },
    { name: "3-d stride 2", x: [2, 4, 5, 6, 7], w: [3, 4, 1, 1, 1], stride: [2, 2, 2] },
  ];
  const pointwise: ConvCase[] = [
    { name: "13x11 batch 1", x: [1, 24, 13, 11], w: [19, 24, 1, 1] },
    { name: "groups 2, batch 3", x: [3, 10, 5, 7], w: [6, 5, 1, 1], groups: 2 },
  ];
  for (const th of [1, 3]) {
    withThreads(th, () => {
      forcing("strided-pointwise", () => {
        for (const c of strided) checkCase(c, rng, `${th} threads`, "strided-pointwise", ["forward", "backwardData", "backwardFilter"], gemmTol);
      });
      forcing("pointwise", () => {
        for (const c of pointwise) checkCase(c, rng, `${th} threads`, "pointwise", ["forward", "backwardData", "backwardFilter"], gemmTol);
      });
    });
  }
  // A 1x1 stride-2 layer whose last output falls in the padding after the input is not a gather.
  forcing("strided-pointwise", () => {
    checkCase({ name: "output in the padding after", x: [2, 6, 6, 6], w: [4, 6, 1, 1], stride: [2, 2], padBefore: [0, 0], padAfter: [1, 1] }, rng, "", "", [], gemmTol);
    assert.notEqual(convAlgorithmsUsed()!.forward, "strided-pointwise");
  });
});

test("depthwise kernels: all passes, 3x3 / 5x5, stride 2, dilation, asymmetric padding, 1-d and 3-d, batch 1, 1 and 3 threads", { skip: skipNative }, () => {
  const rng = new Rng(214);
  const cases: ConvCase[] = [
    { name: "3x3 pad 1, 13x11, batch 1", x: [1, 12, 13, 11], w: [12, 1, 3, 3], groups: 12, ...pad(1) },
    { name: "3x3 stride 2, 15x14", x: [2, 7, 15, 14], w: [7, 1, 3, 3], groups: 7, stride: [2, 2], ...pad(1) },
    { name: "5x5 dilation 2, asymmetric padding", x: [2, 5, 12, 13], w: [5, 1, 5, 5], groups: 5, dilation: [2, 2], padBefore: [3, 1], padAfter: [0, 4] },
    { name: "1-d", x: [3, 6, 17], w: [6, 1, 4], groups: 6, stride: [2], padBefore: [2], padAfter: [1] },
    { name: "3-d", x: [2, 3, 5, 6, 7], w: [3, 1, 3, 2, 3], groups: 3, padBefore: [1, 0, 1], padAfter: [1, 1, 1] },
    { name: "kernel larger than the input", x: [2, 4, 3, 3], w: [4, 1, 5, 5], groups: 4, ...pad(2) },
  ];
  forcing("depthwise", () => {
    for (const th of [1, 3]) {
      withThreads(th, () => {
        for (const c of cases) checkCase(c, rng, `${th} threads depthwise`, "depthwise", ["forward", "backwardData", "backwardFilter"], gemmTol);
      });
    }
  });
});

test("the batched planes, which Winograd now precedes on wide 3x3 layers, still agree with cpu when forced (image blocks too)", { skip: skipNative }, () => {
  const rng = new Rng(215);
  const cases: ConvCase[] = [
    { name: "many images in blocks", x: [120, 32, 8, 8], w: [20, 32, 3, 3], ...pad(1) },
    { name: "7x7 planes, odd channels", x: [9, 24, 7, 7], w: [35, 24, 3, 3], ...pad(1) },
  ];
  forcing("batched-planes", () => {
    for (const c of cases) checkCase(c, rng, "forced", "batched-planes", ["forward", "backwardData", "backwardFilter"], gemmTol);
  });
});

test("choose() picks Winograd, the pointwise and the strided 1x1 paths on ResNet's layers (batch 1 and 8)", { skip: skipNative }, () => {
  const b = native();
  const run = (x: number[], w: number[], p: Partial<ConvParams>, pass: Pass) => {
    const c: ConvCase = { name: "", x, w, ...p } as ConvCase;
    const { p: params, out } = convParams(c);
    const xs = randomView(x, new Rng(1)), ws = randomView(w, new Rng(2)), os: View = randomView(out, new Rng(3));
    if (pass === "forward") b.conv(xs, ws, os, params);
    else if (pass === "backwardData") b.convBackwardData(os, ws, xs, params);
    else b.convBackwardFilter(xs, os, ws, params);
    return convAlgorithmsUsed()![pass];
  };
  const p1 = { padBefore: [1, 1], padAfter: [1, 1] };
  assert.equal(run([1, 64, 56, 56], [64, 64, 3, 3], p1, "forward"), "winograd");
  assert.equal(run([1, 128, 28, 28], [128, 128, 3, 3], p1, "forward"), "winograd");
  assert.equal(run([8, 256, 14, 14], [256, 256, 3, 3], p1, "backwardData"), "winograd");
  assert.notEqual(run([1, 512, 7, 7], [512, 512, 3, 3], p1, "forward"), "winograd");  // 4 tiles: the filters' traffic dominates
  assert.equal(run([16, 64, 7, 7], [64, 64, 3, 3], p1, "forward"), "winograd");  // 64 tiles, ahead of the batched planes
  assert.equal(run([4, 64, 7, 7], [64, 64, 3, 3], p1, "forward"), "batched-planes");
  assert.equal(run([1, 64, 56, 56], [256, 64, 1, 1], {}, "forward"), "pointwise");
  assert.equal(run([1, 64, 56, 56], [128, 64, 1, 1], { stride: [2, 2] }, "forward"), "strided-pointwise");
  assert.equal(run([2, 64, 28, 28], [128, 64, 1, 1], { stride: [2, 2] }, "backwardFilter"), "strided-pointwise");
  assert.equal(run([1, 32, 28, 28], [32, 1, 3, 3], { groups: 32, stride: [2, 2], ...p1 }, "forward"), "depthwise");
  assert.equal(run([1, 32, 28, 28], [32, 1, 3, 3], { groups: 32, ...p1 }, "forward"), "padded-direct");
});

test("forceConvAlgorithm: unknown names throw, null restores choosing by shape", { skip: skipNative }, () => {
  assert.throws(() => forceConvAlgorithm("fft"), /forceConvAlgorithm: unknown algorithm 'fft'/);
  assert.equal(forceConvAlgorithm("im2col"), null);
  assert.equal(forceConvAlgorithm(null), "im2col");
});
