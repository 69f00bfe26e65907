import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const U = nb.nn.utils;

interface Stored { shape: number[]; data: number[] }
interface ClipCase { normType: number | "inf"; maxNorm: number; grads: Stored[]; total: number; clipped: Stored[] }
const fixture = JSON.parse(readFileSync(new URL("../fixtures/loss.json", import.meta.url), "utf8")) as { clipGradNorm: ClipCase[] };

/** Leaf parameters of the stored gradients' shapes, with those gradients attached. */
function withGrads(grads: Stored[], dtype: "float32" | "float64"): nb.Tensor[] {
  return grads.map((g) => {
    const p = nb.zeros(g.shape, { dtype, requiresGrad: true });
    p.grad = nb.tensor(Float64Array.from(g.data), { shape: g.shape }).to(dtype);
    return p;
  });
}

test("clipGradNorm matches torch.nn.utils.clip_grad_norm_ for norms 1, 2, 3 and inf, clipping or not", () => {
  assert.equal(fixture.clipGradNorm.length, 8);
  for (const c of fixture.clipGradNorm) {
    const normType = c.normType === "inf" ? Infinity : c.normType;
    for (const dtype of ["float64", "float32"] as const) {
      const tol = dtype === "float64" ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 1e-5, atol: 1e-7 };
      const params = withGrads(c.grads, dtype);
      const total = U.clipGradNorm(params, c.maxNorm, { normType });
      const what = `norm ${c.normType}, maxNorm ${c.maxNorm}, ${dtype}`;
      assert.equal(total.ndim, 0, what);
      assertClose(total.item(), c.total, { ...tol, msg: `${what}: total` });
      params.forEach((p, i) => assertClose(p.grad!, Float64Array.from(c.clipped[i].data), { ...tol, msg: `${what}: grad ${i}` }));
    }
  }
  // the fixture exercises both sides of the threshold
  assert.ok(fixture.clipGradNorm.some((c) => c.total > c.maxNorm) && fixture.clipGradNorm.some((c) => c.total < c.maxNorm));
});

test("clipGradNorm: hand-worked 2-norm, scaling by maxNorm/(total + 1e-6)", () => {
  const a = nb.zeros([2], { requiresGrad: true }), b = nb.zeros([1], { requiresGrad: true });
  a.grad = nb.tensor([3, 0]);
  b.grad = nb.tensor([4]);
  const total = U.clipGradNorm([a, b], 1);
  assertClose(total, 5);
  const s = 1 / (5 + 1e-6);
  assertClose(a.grad, [3 * s, 0]);
  assertClose(b.grad, [4 * s]);
  // below the threshold nothing changes
  a.grad = nb.tensor([0.3, 0.4]);
  assertClose(U.clipGradNorm(a, 1), 0.5);
  assertClose(a.grad, [0.3, 0.4]);
});

test("clipGradNorm works on a module's parameters after backward and skips those without grad", () => {
  const w = nb.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const unused = nb.tensor([5], { requiresGrad: true });
  w.mul(10).sum().backward(); // every gradient is 10, total norm 20
  const total = U.clipGradNorm([w, unused], 2);
  assertClose(total, 20);
  assertClose(w.grad!, [[1, 1], [1, 1]], { rtol: 1e-6 });
  assert.equal(unused.grad, null);
  // no gradients at all: norm 0, as torch
  assert.equal(U.clipGradNorm([unused], 1).item(), 0);
});

test("clipGradNorm's errorIfNonfinite and bad arguments", () => {
  const p = nb.zeros([2], { requiresGrad: true });
  p.grad = nb.tensor([Infinity, 1]);
  assertThrowsMatching(() => U.clipGradNorm(p, 1, { errorIfNonfinite: true }), /^clipGradNorm: the total norm of order 2 of the gradients is Infinity/);
  assertThrowsMatching(() => U.clipGradNorm(p, -1), /^clipGradNorm: maxNorm must be a non-negative number, got -1/);
  assertThrowsMatching(() => U.clipGradNorm(p, 1, { normType: 0 }), /^clipGradNorm: normType must be a positive number or Infinity, got 0/);
  assertThrowsMatching(() => U.clipGradNorm(42 as unknown as nb.Tensor, 1), /^clipGradNorm: params must be a Tensor or an iterable of tensors/);
  assertThrowsMatching(() => U.clipGradNorm([p, [1, 2] as unknown as nb.Tensor], 1), /^clipGradNorm: params\[1\] must be a Tensor/);
});

test("clipGradValue clamps every gradient into [−v, v]", () => {
  const a = nb.zeros([4], { requiresGrad: true }), b = nb.zeros([1], { requiresGrad: true });
  a.grad = nb.tensor([-3, -0.5, 0.2, 7]);
  U.clipGradValue([a, b], 1);
  assertClose(a.grad, [-1, -0.5, 0.2, 1]);
  assert.equal(b.grad, null);
  assertThrowsMatching(() => U.clipGradValue(a, -1), /^clipGradValue: clipValue must be a non-negative number, got -1/);
});

test("parametersToVector and vectorToParameters round-trip a module's parameters", () => {
  const model = new nb.nn.Sequential(new nb.nn.Linear(3, 2), new nb.nn.ReLU(), new nb.nn.Linear(2, 1));
  const params = model.parameters();
  const vec = U.parametersToVector(params);
  assert.deepEqual(vec.shape, [3 * 2 + 2 + 2 + 1]);
  assertClose(vec.slice(0, 0, 6), params[0].dataSync());
  assertClose(vec.slice(0, 8, 10), params[2].dataSync());
  U.vectorToParameters(nb.arange(0, 11), params);
  assertClose(params[0], [[0, 1, 2], [3, 4, 5]]);
  assertClose(params[1], [6, 7]);
  assertClose(params[3], [10]);
  assert.equal(params[0].requiresGrad, true);
  // differentiable, as torch's: the vector's gradient flows to each parameter
  U.parametersToVector(params).mul(nb.arange(0, 11)).sum().backward();
  assertClose(params[1].grad!, [6, 7]);
});

test("vectorToParameters checks the vector's rank and length", () => {
  const ps = [nb.zeros([2, 2]), nb.zeros([3])];
  assertThrowsMatching(() => U.vectorToParameters(nb.zeros([6]), ps), /^vectorToParameters: vec has 6 elements but the parameters hold 7 \(shapes \[2, 2\], \[3\]\)/);
  assertThrowsMatching(() => U.vectorToParameters(nb.zeros([7, 1]), ps), /^vectorToParameters: vec must be 1-d, got shape \[7, 1\]/);
  assertThrowsMatching(() => U.parametersToVector([]), /^parametersToVector: params is empty/);
});
