import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

// The course notes' example (seed 001): a 4x4 feature map pooled 2x2 with stride 2.
const COURSE_MAP = [[5, 1, 3, 4], [8, 2, 9, 2], [1, 3, 0, 1], [2, 2, 2, 0]];

test("course example: 2x2 stride-2 max pooling keeps each window's largest value", () => {
  const x = nb.tensor([[COURSE_MAP]]);
  assertClose(nb.maxPool2d(x, 2), [[[[8, 9], [3, 2]]]]);
  assertClose(nb.maxPool2d(x, 2, { stride: 2 }), [[[[8, 9], [3, 2]]]]);
  // Unbatched [C, H, W] input gives [C, H', W'].
  assertClose(nb.maxPool2d(nb.tensor([COURSE_MAP]), 2), [[[8, 9], [3, 2]]]);
  const [values, indices] = nb.maxPool2dWithIndices(x, 2);
  assertClose(values, [[[[8, 9], [3, 2]]]]);
  assert.equal(indices.dtype, "int32");
  // 8 at (1,0), 9 at (1,2), 3 at (2,1), 2 at (3,2): flat indices into the 4x4 plane.
  assert.deepEqual(indices.toArray(), [[[[4, 6], [9, 14]]]]);
});

test("course example: 2x2 stride-2 average pooling, worked by hand", () => {
  const x = nb.tensor([[COURSE_MAP]]);
  // (5+1+8+2)/4, (3+4+9+2)/4, (1+3+2+2)/4, (0+1+2+0)/4
  assertClose(nb.avgPool2d(x, 2), [[[[4, 4.5], [2, 0.75]]]]);
  // Min pooling takes each window's smallest value.
  assertClose(nb.minPool2d(x, 2), [[[[1, 2], [1, 0]]]]);
  // Sum pooling is LP pooling with p = 1.
  assertClose(nb.lpPool2d(x, 1, 2), [[[[16, 18], [8, 3]]]]);
  assertClose(nb.globalAvgPool2d(x), [[[[45 / 16]]]]);
});

test("output size: (W - F + 2P) / S + 1, so a 30x30 map pooled by 2 is 15x15", () => {
  const x = nb.zeros([1, 3, 30, 30]);
  assert.deepEqual(nb.maxPool2d(x, 2).shape, [1, 3, 15, 15]);
  assert.deepEqual(nb.avgPool2d(x, 2).shape, [1, 3, 15, 15]);
  assert.deepEqual(nb.maxPool2d(x, 3, { stride: 2 }).shape, [1, 3, 14, 14]);
  assert.deepEqual(nb.maxPool2d(x, 3, { stride: 2, ceilMode: true }).shape, [1, 3, 15, 15]);
  assert.deepEqual(nb.maxPool2d(x, 3, { stride: 2, padding: 1 }).shape, [1, 3, 15, 15]);
  assert.deepEqual(nb.maxPool2d(x, 2, { stride: 2, dilation: 2 }).shape, [1, 3, 14, 14]);
  // ceil mode drops a last window that would start inside the right padding (torch's rule).
  assert.deepEqual(nb.maxPool1d(nb.zeros([1, 1, 5]), 2, { stride: 2, padding: 1, ceilMode: true }).shape, [1, 1, 3]);
  assert.deepEqual(nb.maxPool3d(nb.zeros([2, 1, 6, 5, 4]), 2).shape, [2, 1, 3, 2, 2]);
  assert.deepEqual(nb.adaptiveAvgPool2d(x, [7, null]).shape, [1, 3, 7, 30]);
});

// ---------------------------------------------------------------------------------------------
// PyTorch references

interface Fixture {
  name: string;
  op: string;
  options: nb.MaxPoolOptions & nb.AvgPoolOptions & { kernelSize?: number | number[]; normType?: number; outputSize?: nb.AdaptiveSize };
  input: { shape: number[]; data: (number | string)[] };
  output: { shape: number[]; data: (number | string)[] };
  indices?: number[];
  gradOutput: (number | string)[];
  gradInput: (number | string)[];
}

const fixtures = JSON.parse(readFileSync(new URL("../fixtures/pool.json", import.meta.url), "utf8")) as { cases: Fixture[] };
// A typed array (not a nested array), so assertClose compares values only; shapes are checked apart.
const num = (d: (number | string)[]): Float64Array => Float64Array.from(d, Number);

type Run = (x: nb.Tensor, c: Fixture) => nb.Tensor | [nb.Tensor, nb.Tensor];
const k = (c: Fixture): number | number[] => c.options.kernelSize as number | number[];
const RUNNERS: Record<string, Run> = {
  maxPool1d: (x, c) => nb.maxPool1dWithIndices(x, k(c), c.options),
  maxPool2d: (x, c) => nb.maxPool2dWithIndices(x, k(c), c.options),
  maxPool3d: (x, c) => nb.maxPool3dWithIndices(x, k(c), c.options),
  minPool1d: (x, c) => nb.minPool1d(x, k(c), c.options),
  minPool2d: (x, c) => nb.minPool2d(x, k(c), c.options),
  minPool3d: (x, c) => nb.minPool3d(x, k(c), c.options),
  avgPool1d: (x, c) => nb.avgPool1d(x, k(c), c.options),
  avgPool2d: (x, c) => nb.avgPool2d(x, k(c), c.options),
  avgPool3d: (x, c) => nb.avgPool3d(x, k(c), c.options),
  lpPool1d: (x, c) => nb.lpPool1d(x, c.options.normType!, k(c), c.options),
  lpPool2d: (x, c) => nb.lpPool2d(x, c.options.normType!, k(c), c.options),
  adaptiveAvgPool1d: (x, c) => nb.adaptiveAvgPool1d(x, c.options.outputSize!),
  adaptiveAvgPool2d: (x, c) => nb.adaptiveAvgPool2d(x, c.options.outputSize!),
  adaptiveAvgPool3d: (x, c) => nb.adaptiveAvgPool3d(x, c.options.outputSize!),
  adaptiveMaxPool1d: (x, c) => nb.adaptiveMaxPool1dWithIndices(x, c.options.outputSize!),
  adaptiveMaxPool2d: (x, c) => nb.adaptiveMaxPool2dWithIndices(x, c.options.outputSize!),
  adaptiveMaxPool3d: (x, c) => nb.adaptiveMaxPool3dWithIndices(x, c.options.outputSize!),
  globalAvgPool2d: (x) => nb.globalAvgPool2d(x),
};

test("fixtures cover every pooling op", () => {
  const ops = new Set(fixtures.cases.map((c) => c.op));
  for (const op of Object.keys(RUNNERS)) assert.ok(ops.has(op), `no torch reference for ${op}`);
  assert.ok(fixtures.cases.length >= 60);
});

test("values, indices and gradients match PyTorch (float64)", () => {
  for (const c of fixtures.cases) {
    const x = nb.tensor(num(c.input.data), { shape: c.input.shape, dtype: "float64", requiresGrad: true });
    const r = RUNNERS[c.op](x, c);
    const [y, idx] = Array.isArray(r) ? r : [r, null];
    assert.deepEqual(y.shape, c.output.shape, `${c.name}: output shape`);
    assertClose(y, num(c.output.data), { rtol: 1e-12, atol: 1e-12, msg: `${c.name} values` });
    if (c.indices) {
      assert.ok(idx, `${c.name}: indices`);
      assert.deepEqual(Array.from(idx!.dataSync()), c.indices, `${c.name}: indices`);
    }
    y.backward(nb.tensor(num(c.gradOutput), { shape: c.output.shape, dtype: "float64" }));
    assertClose(x.grad!, num(c.gradInput), { rtol: 1e-12, atol: 1e-12, msg: `${c.name} input gradient` });
  }
});

test("values match PyTorch in float32 too", () => {
  for (const c of fixtures.cases) {
    const x = nb.tensor(Float32Array.from(num(c.input.data)), { shape: c.input.shape });
    const r = RUNNERS[c.op](x, c);
    const y = Array.isArray(r) ? r[0] : r;
    assert.equal(y.dtype, "float32");
    assertClose(y, num(c.output.data), { rtol: 1e-5, atol: 1e-5, msg: `${c.name} float32 values` });
  }
});

// ---------------------------------------------------------------------------------------------
// gradients by finite differences (random inputs have distinct values, so max is differentiable)

test("max and min pooling gradients match finite differences", () => {
  gradcheck((x) => nb.maxPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [randomInput([2, 2, 8], 1)], { name: "maxPool1d" });
  gradcheck((x) => nb.maxPool1d(x, 2, { stride: 1, dilation: 2 }), [randomInput([1, 2, 7], 2)], { name: "maxPool1d dilation" });
  gradcheck((x) => nb.maxPool2d(x, 3, { stride: 2, padding: 1 }), [randomInput([1, 2, 6, 5], 3)], { name: "maxPool2d" });
  gradcheck((x) => nb.maxPool2d(x, [2, 3], { stride: [1, 2], dilation: [2, 1], ceilMode: true }), [randomInput([1, 1, 6, 7], 4)], { name: "maxPool2d ceil dilation" });
  gradcheck((x) => nb.maxPool2d(x, 2), [randomInput([2, 4, 4], 5)], { name: "maxPool2d unbatched" });
  gradcheck((x) => nb.maxPool3d(x, 2, { stride: [1, 2, 2], padding: 1, ceilMode: true }), [randomInput([1, 1, 3, 4, 4], 6)], { name: "maxPool3d" });
  gradcheck((x) => nb.minPool2d(x, 2, { stride: 1 }), [randomInput([1, 2, 4, 4], 7)], { name: "minPool2d" });
  gradcheck((x) => nb.minPool1d(x, 3, { padding: 1 }), [randomInput([1, 2, 7], 8)], { name: "minPool1d" });
  gradcheck((x) => nb.minPool3d(x, [1, 2, 2]), [randomInput([1, 3, 3, 4], 9)], { name: "minPool3d unbatched" });
});

test("average pooling gradients match finite differences", () => {
  gradcheck((x) => nb.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [randomInput([2, 2, 8], 11)], { name: "avgPool1d" });
  gradcheck((x) => nb.avgPool1d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [randomInput([1, 2, 7], 12)], { name: "avgPool1d excl" });
  gradcheck((x) => nb.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [randomInput([1, 2, 6, 5], 13)], { name: "avgPool2d" });
  gradcheck((x) => nb.avgPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 1], countIncludePad: false, ceilMode: true }), [randomInput([1, 1, 6, 5], 14)], { name: "avgPool2d excl" });
  gradcheck((x) => nb.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 }), [randomInput([2, 4, 3], 15)], { name: "avgPool2d divisor" });
  gradcheck((x) => nb.avgPool3d(x, 2, { stride: [1, 2, 2], padding: 1, ceilMode: true }), [randomInput([1, 1, 3, 4, 4], 16)], { name: "avgPool3d" });
});

test("LP pooling gradients match finite differences", () => {
  gradcheck((x) => nb.lpPool1d(x, 2, 3, { stride: 2 }), [randomInput([1, 2, 8], 21)], { name: "lpPool1d p2" });
  gradcheck((x) => nb.lpPool1d(x, 3, 2, { ceilMode: true }), [randomInput([1, 2, 7], 22, { positive: true })], { name: "lpPool1d p3 ceil" });
  gradcheck((x) => nb.lpPool2d(x, 2, 2), [randomInput([1, 2, 4, 4], 23)], { name: "lpPool2d p2" });
  gradcheck((x) => nb.lpPool2d(x, 1.5, [3, 2], { stride: 2, ceilMode: true }), [randomInput([1, 1, 5, 5], 24, { positive: true })], { name: "lpPool2d p1.5 ceil" });
});

test("adaptive and global pooling gradients match finite differences", () => {
  gradcheck((x) => nb.adaptiveAvgPool1d(x, 3), [randomInput([2, 2, 7], 31)], { name: "adaptiveAvgPool1d" });
  gradcheck((x) => nb.adaptiveAvgPool2d(x, [3, 4]), [randomInput([1, 2, 5, 3], 32)], { name: "adaptiveAvgPool2d up/down" });
  gradcheck((x) => nb.adaptiveAvgPool3d(x, [2, null, 2]), [randomInput([1, 1, 3, 2, 5], 33)], { name: "adaptiveAvgPool3d" });
  gradcheck((x) => nb.adaptiveMaxPool1d(x, 4), [randomInput([1, 2, 9], 34)], { name: "adaptiveMaxPool1d" });
  gradcheck((x) => nb.adaptiveMaxPool2d(x, [2, 3]), [randomInput([2, 5, 7], 35)], { name: "adaptiveMaxPool2d unbatched" });
  gradcheck((x) => nb.adaptiveMaxPool3d(x, 2), [randomInput([1, 1, 3, 4, 3], 36)], { name: "adaptiveMaxPool3d" });
  gradcheck((x) => nb.globalAvgPool2d(x), [randomInput([2, 2, 3, 4], 37)], { name: "globalAvgPool2d" });
});

// ---------------------------------------------------------------------------------------------
// semantics

test("ties send the gradient to the first maximum, as torch", () => {
  const x = nb.ones([1, 1, 2, 4], { requiresGrad: true });
  nb.maxPool2d(x, 2).sum().backward();
  assertClose(x.grad!, [[[[1, 0, 1, 0], [0, 0, 0, 0]]]]);
  // Overlapping windows accumulate on a shared winner.
  const y = nb.tensor([[[0, 5, 0, 0]]], { requiresGrad: true });
  nb.maxPool1d(y, 2, { stride: 1 }).sum().backward();
  assertClose(y.grad!, [[[0, 2, 1, 0]]]);
});

test("NaN propagates through max pooling; padding never wins", () => {
  const x = nb.tensor([[[1, NaN, 3, -2, -5, -4]]]);
  assertClose(nb.maxPool1d(x, 3), [[[NaN, -2]]]);
  assertClose(nb.minPool1d(x, 3), [[[NaN, -5]]]);
  // All-negative values with padding: the padded max is still a real element.
  assertClose(nb.maxPool1d(nb.tensor([[[-3, -1, -2]]]), 3, { stride: 1, padding: 1 }), [[[-1, -1, -1]]]);
  assertClose(nb.minPool1d(nb.tensor([[[3, 1, 2]]]), 3, { stride: 1, padding: 1 }), [[[1, 1, 1]]]);
});

test("reluMaxPool: the values and gradients of maxPool(relu(x)), ties, negative windows and NaN included", () => {
  // Windows: all negative (relu gives zeros: value 0, no gradient anywhere), a tie of positives
  // (the first wins), a NaN (stays NaN; relu's gradient at NaN is 0), a positive max among zeros.
  const values = [[-1, -3, 2, 2, NaN, 1, 0, 0.5], [-2, -0.5, 1, 2, 3, 4, 0, 0]];
  const x = nb.tensor([[values]], { requiresGrad: true });
  const y = nb.nn.functional.reluMaxPool2d(x, 2);
  assert.equal(y.gradFn?.name, "ReluMaxPool2dBackward");
  assertClose(y, [[[[0, 2, NaN, 0.5]]]]);
  y.sum().backward();
  assertClose(x.grad!, [[[[0, 0, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0]]]]);

  // Against the two ops on random input: padding, overlapping windows, ceil mode, 1-3 dims, unbatched.
  const cases: [(t: nb.Tensor) => nb.Tensor, (t: nb.Tensor) => nb.Tensor, number[]][] = [
    [(t) => nb.nn.functional.reluMaxPool2d(t, 3, { stride: 1, padding: 1 }), (t) => nb.maxPool2d(nb.relu(t), 3, { stride: 1, padding: 1 }), [2, 3, 6, 5]],
    [(t) => nb.nn.functional.reluMaxPool2d(t, 2, { ceilMode: true }), (t) => nb.maxPool2d(nb.relu(t), 2, { ceilMode: true }), [3, 7, 7]],
    [(t) => nb.nn.functional.reluMaxPool1d(t, 3, { stride: 2, dilation: 2 }), (t) => nb.maxPool1d(nb.relu(t), 3, { stride: 2, dilation: 2 }), [2, 2, 11]],
    [(t) => nb.nn.functional.reluMaxPool3d(t, 2), (t) => nb.maxPool3d(nb.relu(t), 2), [1, 2, 4, 4, 4]],
  ];
  cases.forEach(([fused, twoOps, shape], i) => {
    const a = randomInput(shape, 50 + i).requiresGrad_();
    const b = a.detach().requiresGrad_();
    const g = nb.randn(fused(a).shape);
    fused(a).backward(g);
    twoOps(b).backward(g);
    assertClose(fused(a), twoOps(b), { atol: 0 });
    assertClose(a.grad!, b.grad!, { atol: 0 });
  });
  gradcheck((t) => nb.nn.functional.reluMaxPool2d(t, 3, { stride: 2, padding: 1 }), [randomInput([1, 2, 6, 5], 60)], { name: "reluMaxPool2d" });
  assertThrowsMatching(() => nb.nn.functional.reluMaxPool2d(nb.zeros([4, 4]), 2), /reluMaxPool2d: expected a 3D \(unbatched\) or 4D \(batched\) input, got shape \[4, 4\]/);
});

test("avg pooling divisor follows torch with padding and ceil mode", () => {
  const x = nb.ones([1, 1, 5]);
  // Windows [-1,2), [1,4), [3,6): padding counts, the ceil overhang past it does not.
  assertClose(nb.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [[[2 / 3, 1, 2 / 3]]]);
  assertClose(nb.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [[[1, 1, 1]]]);
  assertClose(nb.avgPool1d(x, 2, { ceilMode: true }), [[[1, 1, 1]]]);
  assertClose(nb.avgPool1d(x, 2, { ceilMode: true, divisorOverride: 4 }), [[[0.5, 0.5, 0.25]]]);
});

test("non-contiguous inputs, empty batches and dtypes", () => {
  const base = randomInput([2, 5, 6, 3], 41);
  const x = base.permute(0, 3, 1, 2); // [2, 3, 5, 6], not contiguous
  assert.ok(!x.isContiguous());
  assertClose(nb.maxPool2d(x, 2, { ceilMode: true }), nb.maxPool2d(x.contiguous(), 2, { ceilMode: true }));
  assertClose(nb.avgPool2d(x, 3, { padding: 1, stride: 2 }), nb.avgPool2d(x.contiguous(), 3, { padding: 1, stride: 2 }));
  gradcheck((t) => nb.maxPool2d(t.permute(0, 3, 1, 2), 2), [base.narrow(1, 0, 2)], { name: "maxPool2d permuted" });
  assert.deepEqual(nb.maxPool2d(nb.zeros([0, 2, 4, 4]), 2).shape, [0, 2, 2, 2]);
  assert.deepEqual(nb.adaptiveAvgPool2d(nb.zeros([0, 2, 4, 4]), 3).shape, [0, 2, 3, 3]);
  assert.equal(nb.avgPool2d(nb.zeros([1, 1, 4, 4], { dtype: "float64" }), 2).dtype, "float64");
});

test("the backward pass of a pooled CNN-style block reaches the input", () => {
  const x = randomInput([2, 3, 8, 8], 51).to("float32");
  x.requiresGrad = true;
  const y = nb.avgPool2d(nb.maxPool2d(x, 2), 2, { padding: 1 });
  nb.adaptiveAvgPool2d(y, 1).sum().backward();
  assert.deepEqual(x.grad!.shape, [2, 3, 8, 8]);
  // Each max window passes its gradient to exactly one element.
  const nonZero = Array.from(x.grad!.dataSync()).filter((v) => v !== 0).length;
  assert.equal(nonZero, 2 * 3 * 16);
});

// ---------------------------------------------------------------------------------------------
// errors

test("bad geometry is refused with torch-like messages naming the op", () => {
  const x = nb.zeros([1, 1, 4, 4]);
  assertThrowsMatching(() => nb.maxPool2d(x, 3, { padding: 2 }), /^maxPool2d: padding 2 must be at most half of kernel size 3$/);
  assertThrowsMatching(() => nb.avgPool1d(nb.zeros([1, 1, 8]), 2, { padding: 2 }), /^avgPool1d: padding 2 must be at most half of kernel size 2$/);
  assertThrowsMatching(() => nb.maxPool2d(x, 5), /^maxPool2d:/, /input of size \[1, 1, 4, 4\]/, /output size \[1, 1, 0, 0\]/, /too small/);
  assertThrowsMatching(() => nb.avgPool3d(nb.zeros([1, 1, 2, 8, 8]), 3), /^avgPool3d:/, /\[1, 1, 2, 8, 8\]/, /\[1, 1, 0, 2, 2\]/);
  assertThrowsMatching(() => nb.maxPool1d(nb.zeros([1, 1, 4]), 2, { dilation: 4 }), /^maxPool1d:/, /output size \[1, 1, 0\]/);
  assertThrowsMatching(() => nb.maxPool2d(x, 0), /^maxPool2d: kernelSize must be a positive integer or an array of 2 of them, got 0/);
  assertThrowsMatching(() => nb.maxPool2d(x, [2, -1]), /^maxPool2d: kernelSize must be a positive integer or an array of 2 of them, got \[2, -1\]/);
  assertThrowsMatching(() => nb.avgPool2d(x, 2, { stride: 0 }), /^avgPool2d: stride must be a positive integer or an array of 2 of them, got 0/);
  assertThrowsMatching(() => nb.maxPool2d(x, 2, { dilation: 0 }), /^maxPool2d: dilation must be a positive integer or an array of 2 of them, got 0/);
  assertThrowsMatching(() => nb.maxPool2d(x, 2, { padding: -1 }), /^maxPool2d: padding must be a non-negative integer or an array of 2 of them, got -1/);
  assertThrowsMatching(() => nb.maxPool2d(x, [2, 2, 2]), /^maxPool2d: kernelSize must be a positive integer or an array of 2 of them, got \[2, 2, 2\]/);
  assertThrowsMatching(() => nb.maxPool2d(x, 1.5), /^maxPool2d: kernelSize/);
  assertThrowsMatching(() => nb.avgPool2d(x, 2, { divisorOverride: 0 }), /^avgPool2d: divisorOverride must be a non-zero/);
  assertThrowsMatching(() => nb.lpPool2d(x, 0, 2), /^lpPool2d: normType must be a non-zero finite number, got 0/);
  assertThrowsMatching(() => nb.lpPool1d(nb.zeros([1, 4]), 2, 5), /^lpPool1d:/, /too small/);
});

test("wrong inputs are refused with messages naming the op and the shape", () => {
  assertThrowsMatching(() => nb.maxPool2d(nb.zeros([4, 4]), 2), /^maxPool2d: expected a 3D \(unbatched\) or 4D \(batched\) input, got shape \[4, 4\]/);
  assertThrowsMatching(() => nb.maxPool1d(nb.zeros([1, 1, 4, 4]), 2), /^maxPool1d: expected a 2D \(unbatched\) or 3D \(batched\) input, got shape \[1, 1, 4, 4\]/);
  assertThrowsMatching(() => nb.avgPool3d(nb.zeros([1, 4, 4]), 2), /^avgPool3d: expected a 4D \(unbatched\) or 5D \(batched\)/);
  assertThrowsMatching(() => nb.minPool2d(nb.zeros([4, 4]), 2), /^minPool2d: expected a 3D/);
  assertThrowsMatching(() => nb.lpPool2d(nb.zeros([4]), 2, 2), /^lpPool2d: expected a 3D/);
  assertThrowsMatching(() => nb.adaptiveAvgPool2d(nb.zeros([2, 3, 4, 4, 4]), 2), /^adaptiveAvgPool2d: expected a 3D/);
  assertThrowsMatching(() => nb.globalAvgPool2d(nb.zeros([3, 4])), /^globalAvgPool2d: expected a 3D/, /\[3, 4\]/);
  assertThrowsMatching(() => nb.maxPool2d(nb.zeros([1, 1, 0, 4]), 2), /^maxPool2d: expected non-zero sizes/, /\[1, 1, 0, 4\]/);
  assertThrowsMatching(() => nb.maxPool2d(nb.zeros([1, 4, 4], { dtype: "int32" }), 2), /^maxPool2d: input must be a floating-point tensor/, /int32/);
  assertThrowsMatching(() => nb.avgPool1d([[1, 2]] as unknown as nb.Tensor, 2), /^avgPool1d: input must be a Tensor/);
  assertThrowsMatching(() => nb.adaptiveAvgPool2d(nb.zeros([1, 4, 4]), [2, 2, 2]), /^adaptiveAvgPool2d: outputSize must be/);
  assertThrowsMatching(() => nb.adaptiveMaxPool1d(nb.zeros([1, 4]), -1), /^adaptiveMaxPool1d: outputSize must be/, /-1/);
  assertThrowsMatching(() => nb.adaptiveMaxPool2d(nb.zeros([1, 4, 4]), 1.5), /^adaptiveMaxPool2d: outputSize must be/);
});
