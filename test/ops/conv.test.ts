import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";
import { setImplicitConv } from "../../src/backend/cpu/im2col-implicit.js";
import type { ConvOptions } from "../../src/ops/conv.js";
import type { MaxPoolOptions } from "../../src/ops/pool.js";

const f64 = { dtype: "float64" } as nb.TensorOptions;

/** A [1, 1, H, W] image or kernel from nested rows. */
const plane = (rows: number[][]): nb.Tensor => nb.tensor(rows).reshape([1, 1, rows.length, rows[0].length]);
const rowsOf = (t: nb.Tensor): number[][] => t.reshape([t.shape[2], t.shape[3]]).toArray() as number[][];

// ---- the course notes' worked examples --------------------------------------------------------

test("seed 003: the 5x5 image and the X filter give [[4,3,4],[2,4,3],[2,3,4]]", () => {
  const image = plane([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]);
  const filter = plane([[1, 0, 1], [0, 1, 0], [1, 0, 1]]);
  assert.deepEqual(rowsOf(nb.conv2d(image, filter)), [[4, 3, 4], [2, 4, 3], [2, 3, 4]]);
});

test("seed 004: the 6x6 image and the vertical-edge filter (first value is -5, as its own sum says)", () => {
  const image = plane([
    [3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
    [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9],
  ]);
  const edge = plane([[1, 0, -1], [1, 0, -1], [1, 0, -1]]);
  assert.deepEqual(rowsOf(nb.conv2d(image, edge)), [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]);
});

test("seed 004: the 10/0 step image gives a bright band in columns 1 and 2", () => {
  const image = plane(Array.from({ length: 6 }, () => [10, 10, 10, 0, 0, 0]));
  const edge = plane([[1, 0, -1], [1, 0, -1], [1, 0, -1]]);
  assert.deepEqual(rowsOf(nb.conv2d(image, edge)), Array.from({ length: 4 }, () => [0, 30, 30, 0]));
});

test("the 5x5 image with kernel [[0,1,2],[2,2,0],[0,1,2]] gives [[12,12,17],[10,17,19],[9,6,14]]", () => {
  const image = plane([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]);
  const kernel = plane([[0, 1, 2], [2, 2, 0], [0, 1, 2]]);
  assert.deepEqual(rowsOf(nb.conv2d(image, kernel)), [[12, 12, 17], [10, 17, 19], [9, 6, 14]]);
});

test("output sizes: 6x6 with k=3, p=1, s=2 gives 3; 32x32x3 with k=3 'valid' gives 30x30", () => {
  assert.equal(nb.convOutputSize(6, 3, { stride: 2, padding: 1 }), 3);
  assert.equal(nb.convOutputSize(32, 3, { padding: "valid" }), 30);
  assert.deepEqual(nb.convOutputSize([32, 32], 3, { padding: "valid" }), [30, 30]);
  assert.deepEqual(nb.convOutputSize([28, 28], [3, 5], { stride: [1, 2], padding: [1, 2], dilation: [2, 1] }), [26, 14]);
  assert.equal(nb.convOutputSize(7, 4, { padding: "same" }), 7);
  const image = nb.zeros([1, 3, 32, 32]);
  assert.deepEqual(nb.conv2d(image, nb.zeros([8, 3, 3, 3]), null, { padding: "valid" }).shape, [1, 8, 30, 30]);
  assert.deepEqual(nb.conv2d(nb.zeros([1, 1, 6, 6]), nb.zeros([1, 1, 3, 3]), null, { stride: 2, padding: 1 }).shape, [1, 1, 3, 3]);
  assertThrowsMatching(() => nb.convOutputSize(8, 3, { stride: 2, padding: "same" }), /^convOutputSize: padding "same" is not supported for strided/);
  assertThrowsMatching(() => nb.convOutputSize(8, 0), /^convOutputSize: kernelSize must be a positive integer or an array of 1 of them, got 0/);
});

test("examples/seeds-convolution.ts runs and prints the seeds' results", () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", "examples/seeds-convolution.ts"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split("\n").map((l) => l.trim().split(/\s+/).join(" "));
  for (const expected of ["4 3 4", "2 4 3", "2 3 4", "-5 -4 0 8", "-3 -2 -3 -16", "0 30 30 0", "12 12 17", "10 17 19", "9 6 14"]) {
    assert.ok(rows.includes(expected), `example output lacks the row ${expected}:\n${r.stdout}`);
  }
  assert.match(r.stdout, /k=3, p=1, s=2 -> 3/);
  assert.match(r.stdout, /"valid" -> 30x30/);
});

// ---- PyTorch fixtures ---------------------------------------------------------------------------

interface ConvFixture {
  op: "conv1d" | "conv2d" | "conv3d";
  opts: nb.ConvOptions;
  x: { shape: number[]; data: number[] };
  w: { shape: number[]; data: number[] };
  b?: number[];
  y: { shape: number[]; data: number[] };
  gy: number[];
  gx: number[];
  gw: number[];
  gb?: number[];
}
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/conv.json", import.meta.url), "utf8")) as { conv: ConvFixture[] };
const convFns = { conv1d: nb.conv1d, conv2d: nb.conv2d, conv3d: nb.conv3d };

test("conv1d/2d/3d forward and gradients match PyTorch in float64, on both paths", () => {
  assert.ok(fixtures.conv.length >= 20);
  bothPaths((path) => fixtures.conv.forEach((c, i) => {
    const name = `${path}: ${c.op} case ${i} ${JSON.stringify(c.opts)}`;
    const x = nb.tensor(Float64Array.from(c.x.data), { shape: c.x.shape, dtype: "float64", requiresGrad: true });
    const w = nb.tensor(Float64Array.from(c.w.data), { shape: c.w.shape, dtype: "float64", requiresGrad: true });
    const b = c.b ? nb.tensor(Float64Array.from(c.b), { dtype: "float64", requiresGrad: true }) : null;
    const y = convFns[c.op](x, w, b, c.opts);
    assert.deepEqual(y.shape, c.y.shape, `${name}: output shape`);
    assertClose(y, Float64Array.from(c.y.data), { rtol: 1e-9, atol: 1e-9, msg: `${name}: output` });
    y.backward(nb.tensor(Float64Array.from(c.gy), { shape: c.y.shape, dtype: "float64" }));
    assertClose(x.grad!, Float64Array.from(c.gx), { rtol: 1e-9, atol: 1e-9, msg: `${name}: input gradient` });
    assertClose(w.grad!, Float64Array.from(c.gw), { rtol: 1e-9, atol: 1e-9, msg: `${name}: weight gradient` });
    if (b) assertClose(b.grad!, Float64Array.from(c.gb!), { rtol: 1e-9, atol: 1e-9, msg: `${name}: bias gradient` });
  }));
});

test("float32 convolution matches PyTorch's float64 values to float32 accuracy", () => {
  for (const c of fixtures.conv.slice(0, 6)) {
    const x = nb.tensor(Float32Array.from(c.x.data), { shape: c.x.shape });
    const w = nb.tensor(Float32Array.from(c.w.data), { shape: c.w.shape });
    const b = c.b ? nb.tensor(Float32Array.from(c.b)) : null;
    const y = convFns[c.op](x, w, b, c.opts);
    assert.equal(y.dtype, "float32");
    assertClose(y, Float64Array.from(c.y.data), { rtol: 1e-5, atol: 1e-4 });
  }
});

// ---- a plain reference for larger shapes -----------------------------------------------------

/** Direct 2-D convolution in float64 loops: forward, and the two gradients for an upstream gy. */
function referenceConv2d(x: nb.Tensor, w: nb.Tensor, gy: nb.Tensor, s: number[], p: number[], d: number[], groups: number) {
  const [N, C, H, W] = x.shape, [CO, CG, KH, KW] = w.shape, [, , OH, OW] = gy.shape;
  const X = x.dataSync(), Wt = w.dataSync(), GY = gy.dataSync();
  const y = new Float64Array(N * CO * OH * OW), gx = new Float64Array(X.length), gw = new Float64Array(Wt.length);
  const outPerGroup = CO / groups;
  for (let n = 0; n < N; n++) for (let co = 0; co < CO; co++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    const g = Math.floor(co / outPerGroup);
    const yi = ((n * CO + co) * OH + oy) * OW + ox;
    for (let cg = 0; cg < CG; cg++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const iy = oy * s[0] - p[0] + ky * d[0], ix = ox * s[1] - p[1] + kx * d[1];
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      const xi = ((n * C + g * CG + cg) * H + iy) * W + ix, wi = ((co * CG + cg) * KH + ky) * KW + kx;
      y[yi] += X[xi] * Wt[wi];
      gx[xi] += GY[yi] * Wt[wi];
      gw[wi] += GY[yi] * X[xi];
    }
  }
  return { y, gx, gw };
}

/** Run the cases twice: stride-1 ones through the implicit GEMM (im2col-implicit.ts), then everything through the packed im2col GEMM. */
function bothPaths(body: (path: string) => void): void {
  body("implicit");
  try {
    setImplicitConv(false);
    body("packed");
  } finally {
    setImplicitConv(true);
  }
}

test("convolution across GEMM block edges matches a direct reference (forward and both gradients), on both paths", () => {
  // 3 images of 20x20 outputs = 1200 positions (more than one column block); 32·3·3 = 288 taps
  // (more than one depth slice); 37 output channels (not a multiple of the micro-tile).
  const cases: { x: number[]; w: number[]; s: number[]; p: number[]; d: number[]; groups: number }[] = [
    { x: [3, 32, 20, 20], w: [37, 32, 3, 3], s: [1, 1], p: [1, 1], d: [1, 1], groups: 1 },
    { x: [2, 6, 13, 11], w: [9, 2, 3, 2], s: [2, 1], p: [1, 0], d: [1, 2], groups: 3 },
    { x: [4, 1, 28, 28], w: [8, 1, 3, 3], s: [1, 1], p: [0, 0], d: [1, 1], groups: 1 },
    { x: [2, 8, 13, 13], w: [16, 8, 3, 3], s: [1, 1], p: [0, 0], d: [1, 1], groups: 1 },
    { x: [2, 6, 9, 10], w: [6, 2, 3, 4], s: [1, 1], p: [2, 1], d: [2, 1], groups: 3 },
    { x: [1, 3, 7, 7], w: [5, 3, 2, 2], s: [1, 1], p: [3, 2], d: [1, 1], groups: 1 }, // padding beyond the kernel span
  ];
  bothPaths((path) => cases.forEach((c, i) => {
    const x = randomInput(c.x, 100 + i).requiresGrad_(), w = randomInput(c.w, 200 + i).requiresGrad_();
    const y = nb.conv2d(x, w, null, { stride: c.s, padding: c.p, dilation: c.d, groups: c.groups });
    const gy = randomInput(y.shape, 300 + i);
    const ref = referenceConv2d(x, w, gy, c.s, c.p, c.d, c.groups);
    assertClose(y, ref.y, { rtol: 1e-10, atol: 1e-10, msg: `${path} case ${i} output` });
    y.backward(gy);
    assertClose(x.grad!, ref.gx, { rtol: 1e-10, atol: 1e-10, msg: `${path} case ${i} input gradient` });
    assertClose(w.grad!, ref.gw, { rtol: 1e-10, atol: 1e-10, msg: `${path} case ${i} weight gradient` });
  }));
});

// ---- gradients by finite differences --------------------------------------------------------

test("conv gradients match finite differences in 1-D, 2-D and 3-D with stride, padding, dilation and groups", () => {
  gradcheck((x, w, b) => nb.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }), [randomInput([2, 2, 9], 1), randomInput([3, 2, 3], 2), randomInput([3], 3)], { name: "conv1d" });
  gradcheck((x, w) => nb.conv1d(x, w, null, { groups: 2, padding: "same" }), [randomInput([1, 4, 6], 4), randomInput([4, 2, 4], 5)], { name: "conv1d groups same" });
  gradcheck((x, w, b) => nb.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }), [randomInput([2, 2, 5, 6], 6), randomInput([3, 2, 3, 2], 7), randomInput([3], 8)], { name: "conv2d" });
  gradcheck((x, w) => nb.conv2d(x, w, null, { groups: 3 }), [randomInput([1, 3, 4, 4], 9), randomInput([6, 1, 2, 2], 10)], { name: "conv2d depthwise" });
  gradcheck((x, w) => nb.conv2d(x, w, null, { padding: "same" }), [randomInput([1, 2, 4, 5], 11), randomInput([2, 2, 2, 2], 12)], { name: "conv2d same even kernel" });
  gradcheck((x, w, b) => nb.conv3d(x, w, b, { stride: [1, 2, 1], padding: 1, groups: 2 }), [randomInput([1, 2, 3, 4, 3], 13), randomInput([2, 1, 2, 2, 2], 14), randomInput([2], 15)], { name: "conv3d" });
  gradcheck((x, w) => nb.conv2d(x, w), [randomInput([2, 4, 4], 16), randomInput([3, 2, 2, 2], 17)], { name: "conv2d unbatched" });
});

// ---- semantics -------------------------------------------------------------------------------

test("unbatched input gives an unbatched output equal to the batched one", () => {
  const x = randomInput([3, 7, 6], 21), w = randomInput([4, 3, 3, 3], 22), b = randomInput([4], 23);
  const y = nb.conv2d(x, w, b, { padding: 1 });
  assert.deepEqual(y.shape, [4, 7, 6]);
  assertClose(y, nb.conv2d(x.unsqueeze(0), w, b, { padding: 1 }).squeeze(0), { rtol: 1e-12 });
  assert.deepEqual(nb.conv1d(randomInput([2, 9], 24), randomInput([5, 2, 3], 25)).shape, [5, 7]);
  assert.deepEqual(nb.conv3d(randomInput([1, 4, 4, 4], 26), randomInput([2, 1, 3, 3, 3], 27)).shape, [2, 2, 2, 2]);
});

test("'same' padding keeps the size and puts the extra padding of an even kernel after, as torch", () => {
  const x = nb.arange(1, 6, 1, f64).reshape([1, 1, 5]);
  const w = nb.tensor([[[1, 10]]], f64);
  // Total padding 1 goes to the right: y[i] = x[i] + 10·x[i+1], with x[5] = 0.
  assertClose(nb.conv1d(x, w, null, { padding: "same" }), [[[21, 32, 43, 54, 5]]]);
  const w3 = nb.tensor([[[1, 10, 100, 1000]]], f64);
  // Total 3: one before, two after.
  assertClose(nb.conv1d(x, w3, null, { padding: "same" }), [[[3210, 4321, 5432, 543, 54]]]);
});

test("non-contiguous inputs and weights are read correctly", () => {
  const x = randomInput([2, 3, 6, 5], 31), w = randomInput([4, 3, 3, 3], 32);
  const xt = x.transpose(2, 3).contiguous().transpose(2, 3); // same values, permuted strides
  const wt = w.permute([1, 0, 2, 3]).contiguous().permute([1, 0, 2, 3]);
  assertClose(nb.conv2d(xt, wt, null, { padding: 1 }), nb.conv2d(x, w, null, { padding: 1 }), { rtol: 1e-12 });
});

test("mixed dtypes promote: a float32 image with float64 weights gives float64", () => {
  const x = nb.ones([1, 1, 3, 3]);
  const w = nb.ones([1, 1, 2, 2], f64);
  const y = nb.conv2d(x, w);
  assert.equal(y.dtype, "float64");
  assertClose(y, [[[[4, 4], [4, 4]]]]);
  assertThrowsMatching(() => nb.conv2d(nb.ones([1, 1, 3, 3], { dtype: "int32" }), nb.ones([1, 1, 2, 2], { dtype: "int32" })), /^conv2d: input and weight must be floating-point/);
});

test("an infinite input element only reaches the weight gradients of taps that read it, on both paths", () => {
  bothPaths((path) => {
    const x = nb.tensor([[[[1, 2, Infinity], [3, 4, 5], [6, 7, 8]]]], f64);
    const w = nb.zeros([1, 1, 2, 2], f64).requiresGrad_();
    nb.conv2d(x, w).sum().backward();
    assertClose(w.grad!, [[[[10, Infinity], [20, 24]]]], { msg: path });
  });
});

test("an empty batch gives an empty output and zero weight gradients", () => {
  const x = nb.zeros([0, 3, 5, 5], f64);
  const w = randomInput([4, 3, 3, 3], 51).requiresGrad_();
  const y = nb.conv2d(x, w, null, { padding: 1 });
  assert.deepEqual(y.shape, [0, 4, 5, 5]);
  y.sum().backward();
  assertClose(w.grad!, nb.zeros([4, 3, 3, 3], f64));
});

test("a bias gradient flows even when the input needs none", () => {
  const x = randomInput([2, 1, 5, 5], 41);
  const w = randomInput([3, 1, 3, 3], 42).requiresGrad_();
  const b = nb.zeros([3], f64).requiresGrad_();
  nb.conv2d(x, w, b).sum().backward();
  assertClose(b.grad!, [18, 18, 18]);
  assert.equal(x.grad, null);
});

// ---- errors ----------------------------------------------------------------------------------

test("conv2dReluMaxPool2d gives the values and gradients of conv2d → relu → maxPool2d, fused or not", () => {
  const F = nb.nn.functional;
  // [input, weight, bias?, conv options, pool kernel, pool options]: the typical CNN's and LeNet-5's
  // blocks, pooled widths under 4, 4-7 and 8+, odd sizes, groups, and geometries the fused kernel
  // leaves to the three ops (strided conv, 3×3 pool, ceil mode, float64).
  const cases: [number[], number[], boolean, ConvOptions, number, MaxPoolOptions, nb.DType?][] = [
    [[4, 1, 28, 28], [8, 1, 3, 3], true, {}, 2, {}],
    [[3, 8, 13, 13], [16, 8, 3, 3], true, {}, 2, {}],
    [[2, 1, 28, 28], [6, 1, 5, 5], true, { padding: 2 }, 2, {}],
    [[2, 3, 9, 12], [5, 3, 3, 3], false, { padding: 1 }, 2, {}],
    [[1, 4, 7, 7], [4, 2, 3, 3], true, { groups: 2 }, 2, {}],
    [[3, 9, 9], [2, 3, 2, 2], true, {}, 2, {}],
    [[2, 3, 11, 11], [4, 3, 3, 3], true, { stride: 2 }, 2, {}],
    [[2, 2, 10, 10], [3, 2, 3, 3], true, {}, 3, { stride: 2, padding: 1 }],
    [[2, 2, 9, 9], [3, 2, 2, 2], true, {}, 2, { ceilMode: true }],
    [[2, 2, 8, 8], [3, 2, 3, 3], true, {}, 2, {}, "float64"],
  ];
  cases.forEach(([xs, ws, hasBias, convOpts, k, poolOpts, dtype], i) => {
    const opts = { dtype: dtype ?? "float32" } as nb.TensorOptions;
    const x = nb.randn(xs, opts);
    if (i === 0) x.narrow(0, 0, 1).narrow(2, 3, 1).fill_(NaN);  // a NaN row: NaN values, no gradient through them
    const w = nb.randn(ws, opts).requiresGrad_(), b = hasBias ? nb.randn([ws[0]], opts).requiresGrad_() : null;
    const xg = x.detach().requiresGrad_();
    const fused = F.conv2dReluMaxPool2d(xg, w, b, convOpts, k, poolOpts);
    const threeOps = F.maxPool2d(nb.relu(F.conv2d(xg, w, b, convOpts)), k, poolOpts);
    assertClose(fused, threeOps, { atol: 0, rtol: 0, msg: `case ${i} values` });
    const g = nb.randn(fused.shape, opts);
    const grads = (y: nb.Tensor) => {
      for (const t of [xg, w, b]) if (t) t.grad = null;
      y.backward(g);
      return [xg.grad!.clone(), w.grad!.clone(), b ? b.grad!.clone() : null];
    };
    const [a, c] = [grads(fused), grads(threeOps)];
    a.forEach((t, j) => t && assertClose(t, c[j]!, { atol: 0, rtol: 0, msg: `case ${i} gradient ${j}` }));
  });
  // The typical CNN's block reports its fused node (on backends with the kernel) and the right shape.
  const y = F.conv2dReluMaxPool2d(nb.randn([2, 1, 28, 28]), nb.randn([8, 1, 3, 3]).requiresGrad_(), null, {}, 2);
  assert.deepEqual(y.shape, [2, 8, 13, 13]);
  assert.equal(y.gradFn?.name, nb.getBackend() === "native" ? "ConvReluMaxPool2dBackward" : "ReluMaxPool2dBackward");
  assertThrowsMatching(() => F.conv2dReluMaxPool2d(nb.randn([1, 2, 5, 5]), nb.randn([3, 1, 3, 3]), null, {}, 2), /conv2dReluMaxPool2d: expected input with 1 channels/);
});

test("conv errors name the op, the shapes and what was expected", () => {
  assertThrowsMatching(
    () => nb.conv2d(nb.zeros([1, 4, 28, 28]), nb.zeros([8, 3, 3, 3])),
    /^conv2d: expected input with 3 channels \(weight \[8, 3, 3, 3\], groups 1\), got input of shape \[1, 4, 28, 28\]$/,
  );
  assertThrowsMatching(() => nb.conv2d(nb.zeros([28, 28]), nb.zeros([8, 1, 3, 3])), /^conv2d: expected 3-D \(unbatched \[C, H, W\]\) or 4-D \(batched \[N, C, H, W\]\) input, got shape \[28, 28\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 5, 5]), nb.zeros([8, 1, 3])), /^conv2d: weight must be 4-D \[outChannels, inChannels\/groups, kH, kW\], got shape \[8, 1, 3\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 4, 5, 5]), nb.zeros([6, 1, 3, 3]), null, { groups: 4 }), /^conv2d: groups 4 must divide the 6 output channels/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 6, 5, 5]), nb.zeros([8, 2, 3, 3]), null, { groups: 4 }), /^conv2d: groups 4 must divide the 6 input channels/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 2, 2]), nb.zeros([1, 1, 5, 5]), null, { padding: 1 }), /^conv2d: kernel size \[5, 5\] is larger than the padded input \[4, 4\]/);
  assertThrowsMatching(() => nb.conv1d(nb.zeros([1, 1, 5]), nb.zeros([1, 1, 3]), null, { dilation: 3 }), /^conv1d: kernel size \[7\] \(with dilation \[3\]\) is larger than the padded input \[5\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 5, 5]), nb.zeros([1, 1, 3, 3]), null, { stride: 0 }), /^conv2d: stride must be a positive integer or an array of 2 of them, got 0/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 5, 5]), nb.zeros([1, 1, 3, 3]), null, { dilation: [1, -1] }), /^conv2d: dilation must be a positive integer or an array of 2 of them, got \[1, -1\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 5, 5]), nb.zeros([1, 1, 3, 3]), null, { padding: -1 }), /^conv2d: padding must be a non-negative integer or an array of 2 of them, got -1/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 8, 8]), nb.zeros([1, 1, 3, 3]), null, { stride: 2, padding: "same" }), /^conv2d: padding "same" is not supported for strided convolutions/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 8, 8]), nb.zeros([1, 1, 3, 3]), null, { padding: "full" as "same" }), /^conv2d: padding must be a non-negative integer, an array of 2 of them, "same" or "valid", got "full"/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 8, 8]), nb.zeros([1, 1, 3, 3]), null, { stride: [1, 2, 3] }), /^conv2d: stride must be a positive integer or an array of 2 of them, got \[1, 2, 3\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 8, 8]), nb.zeros([2, 1, 3, 3]), nb.zeros([3])), /^conv2d: bias must have shape \[2\]/);
  assertThrowsMatching(() => nb.conv2d(nb.zeros([1, 1, 8, 8]), nb.zeros([2, 1, 3, 3]), null, { groups: 0 }), /^conv2d: groups must be a positive integer/);
  assertThrowsMatching(() => nb.conv3d(nb.zeros([1, 4, 4]), nb.zeros([1, 1, 2, 2, 2])), /^conv3d: expected 4-D \(unbatched/);
  assertThrowsMatching(() => nb.conv1d(nb.zeros([1, 1, 4]), "w" as unknown as nb.Tensor), /^conv1d: weight must be a Tensor/);
});
