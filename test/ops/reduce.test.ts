// Reductions, hand-worked: the semantics the PyTorch fixtures (core-parity) do not show well —
// zero-size and 0-d inputs, dim handling and its errors, tie and zero gradients, dtype rules.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching, gradcheck, randomInput } from "../helpers/assert.js";

const m23 = () => nb.tensor([[1, 2, 3], [4, 5, 6]]);

test("sum and mean over all, one, negative and several dims, with keepdim", () => {
  const x = m23();
  assertClose(x.sum(), 21);
  assert.deepEqual(x.sum().shape, []);
  assertClose(x.sum(0), [5, 7, 9]);
  assertClose(x.sum(-1), [6, 15]);
  assertClose(x.sum(1, true), [[6], [15]]);
  assertClose(x.sum([0, 1], true), [[21]]);
  assertClose(x.sum([-1, -2]), 21);
  assertClose(x.mean(0), [2.5, 3.5, 4.5]);
  assertClose(x.mean(-1, true), [[2], [5]]);
  assertClose(x.mean(), 3.5);
  const y = nb.arange(24).reshape(2, 3, 4);
  assertClose(y.sum([0, 2]), [60, 92, 124]);
  assertClose(y.sum([-1, 0]), y.sum([0, 2]));
  assert.deepEqual(y.sum([0, 2], true).shape, [1, 3, 1]);
  assertClose(y.max([0, 2]), [15, 19, 23]);
});

test("dims out of range or named twice give errors naming the op and the dim", () => {
  const x = nb.zeros([2, 3, 4]);
  assertThrowsMatching(() => x.sum(3), /^sum: /, /dimension 3/, /-3\.\.2/);
  assertThrowsMatching(() => x.mean(-4), /^mean: /, /dimension -4/);
  assertThrowsMatching(() => x.max([0, 5]), /^max: /, /dimension 5/);
  assertThrowsMatching(() => x.prod(7), /^prod: /, /7/);
  assertThrowsMatching(() => x.var(3), /^var: /, /3/);
  assertThrowsMatching(() => x.std(-5), /^std: /, /-5/);
  assertThrowsMatching(() => x.logsumexp(9), /^logsumexp: /, /9/);
  assertThrowsMatching(() => x.argmax(3), /^argmax: /, /dimension 3/);
  assertThrowsMatching(() => x.argmin(-4), /^argmin: /, /dimension -4/);
  assertThrowsMatching(() => x.all(3), /^all: /, /3/);
  assertThrowsMatching(() => x.any(3), /^any: /, /3/);
  assertThrowsMatching(() => x.sum([1, -2]), /^sum: /, /twice/);
  assertThrowsMatching(() => x.sum(0.5), /^sum: /, /integer/);
});

test("0-d tensors reduce to themselves; dim 0 and -1 are allowed, others are out of range", () => {
  const s = nb.tensor(2.5);
  for (const r of [s.sum(), s.sum(0), s.sum(-1, true), s.mean(0), s.max(), s.min(-1), s.prod(0), s.logsumexp(0)]) {
    assert.deepEqual(r.shape, []);
    assertClose(r, 2.5);
  }
  assertClose(s.var(undefined, false, { correction: 0 }), 0);
  assert.equal(s.argmax().item(), 0);
  assertThrowsMatching(() => s.sum(1), /^sum: /, /dimension 1/);
  assertThrowsMatching(() => s.max(-2), /^max: /, /dimension -2/);
});

test("zero-size inputs: sum 0, prod 1, mean NaN, all true, any false; max/argmax of an empty dim throw", () => {
  const e = nb.zeros([0]);
  assertClose(e.sum(), 0);
  assertClose(e.prod(), 1);
  assert.ok(Number.isNaN(e.mean().item()));
  assert.equal(e.all().item(), 1);
  assert.equal(e.any().item(), 0);
  assert.equal(e.logsumexp(0).item(), -Infinity);
  const e03 = nb.zeros([0, 3]);
  assertClose(e03.sum(0), [0, 0, 0]);
  assert.deepEqual(e03.sum(1).shape, [0]);
  assertClose(e03.prod(0, true), [[1, 1, 1]]);
  assert.equal(nb.zeros([2, 0]).sum(1).dtype, "float32");
  assertClose(nb.zeros([2, 0], { dtype: "int32" }).sum(1), [0, 0]);
  // max over a non-empty dim of an empty tensor is empty, not an error (torch.amax)
  assert.deepEqual(e03.max(1).shape, [0]);
  assert.deepEqual(e03.argmax(1).shape, [0]);
  assertThrowsMatching(() => e.max(), /^max: /, /dimension 0 of size 0/, /\[0\]/);
  assertThrowsMatching(() => e03.min(0), /^min: /, /dimension 0 of size 0/, /\[0, 3\]/);
  assertThrowsMatching(() => e03.argmax(), /^argmax: /, /zero-size/);
  assertThrowsMatching(() => e03.argmin(0), /^argmin: /, /zero-size/);
});

test("the gradient of an empty sum is an empty tensor of the input's shape", () => {
  const x = nb.zeros([0, 3], { requiresGrad: true });
  x.sum().backward();
  assert.deepEqual(x.grad!.shape, [0, 3]);
});

test("max/min gradients split evenly among ties (torch.amax semantics)", () => {
  const x = nb.tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
  x.max(1).sum().backward();
  assertClose(x.grad!, [[0, 0.5, 0.5], [0.5, 0.5, 0]]);
  x.zeroGrad();
  x.max().backward(); // 3 appears twice in the whole tensor
  assertClose(x.grad!, [[0, 0.5, 0.5], [0, 0, 0]]);
  x.zeroGrad();
  x.min(0).backward(nb.tensor([1, 10, 100]));
  assertClose(x.grad!, [[1, 0, 0], [0, 10, 100]]);
  const all = nb.tensor([7, 7, 7, 7], { requiresGrad: true });
  all.max().backward();
  assertClose(all.grad!, [0.25, 0.25, 0.25, 0.25]);
});

test("prod gradients are exact with zeros: one zero gets the product of the rest, two zeros give 0", () => {
  const x = nb.tensor([[2, 0, 3], [0, 0, 4], [1, 2, 3], [-1, 5, 0.5]], { requiresGrad: true });
  assertClose(x.prod(1), [0, 0, 6, -2.5]);
  x.prod(1).sum().backward();
  assertClose(x.grad!, [[0, 6, 0], [0, 0, 0], [6, 3, 2], [2.5, -0.5, -5]]);
  const y = nb.tensor([[2, 0], [3, 4]], { requiresGrad: true });
  y.prod().backward();
  assertClose(y.grad!, [[0, 24], [0, 0]]);
});

test("var and std: correction 1 by default, 0 for the population; unbiased=false is correction 0", () => {
  const x = nb.tensor([[1, 2, 3, 4], [2, 2, 2, 2]]);
  assertClose(x.var(1), [5 / 3, 0]);
  assertClose(x.var(1, false, { correction: 0 }), [1.25, 0]);
  assertClose(x.var(1, true, { unbiased: false }), [[1.25], [0]]);
  assertClose(x.std(1), [Math.sqrt(5 / 3), 0]);
  assertClose(x.std(-1, false, { correction: 0 }), [Math.sqrt(1.25), 0]);
  assertClose(x.var(), 5.5 / 7); // mean 2.25, Σ(x − 2.25)² = 1.5625 + 0.0625 + 0.5625 + 3.0625 + 4·0.0625
  // one element, correction 1: 0/0 = NaN, as torch
  assert.ok(Number.isNaN(nb.tensor([3]).var().item()));
  // std of a constant slice has gradient 0 there (torch's convention), not NaN
  const c = nb.tensor([[2, 2, 2], [1, 2, 3]], { requiresGrad: true });
  c.std(1).sum().backward();
  assertClose(c.grad!, [[0, 0, 0], [-0.5, 0, 0.5]]);
});

test("logsumexp is stable for large and -inf inputs; its gradient is softmax", () => {
  const x = nb.tensor([[1000, 1000], [-Infinity, -Infinity], [0, Math.log(3)]]);
  assertClose(x.logsumexp(1), [1000 + Math.LN2, -Infinity, Math.log(4)]);
  assert.deepEqual(x.logsumexp(1, true).shape, [3, 1]);
  const y = nb.tensor([[0, Math.log(3)]], { requiresGrad: true });
  y.logsumexp(1).sum().backward();
  assertClose(y.grad!, [[0.25, 0.75]]);
});

test("argmax/argmin take the first of ties, give int32, and follow keepdim", () => {
  const x = nb.tensor([[1, 5, 5], [7, 0, 0]]);
  const am = x.argmax(1);
  assert.equal(am.dtype, "int32");
  assert.deepEqual(am.toArray(), [1, 0]);
  assert.deepEqual(x.argmin(1).toArray(), [0, 1]);
  assert.deepEqual(x.argmax(0, true).toArray(), [[1, 0, 0]]);
  assert.equal(x.argmax().item(), 3); // flat index of the first 7
  assert.deepEqual(x.argmax(undefined, true).shape, [1, 1]);
  assert.equal(nb.tensor([3, NaN, 9]).argmax().item(), 1); // NaN wins, as in torch
});

test("dtype rules: mean/var of integers throw, sum/prod of int32 and bool give int32, max keeps the dtype", () => {
  const i = nb.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "int32" });
  assertThrowsMatching(() => i.mean(), /^mean: /, /int32/, /float32/);
  assertThrowsMatching(() => i.var(), /^var: /, /int32/);
  assertThrowsMatching(() => i.std(), /^std: /, /int32/);
  const s = i.sum(1);
  assert.equal(s.dtype, "int32");
  assert.deepEqual(s.toArray(), [6, 15]);
  assert.equal(i.prod().dtype, "int32");
  assert.equal(i.prod().item(), 720);
  // int32 sums are exact beyond float32's 2^24 (accumulated in float64)
  assert.equal(nb.tensor([16777217, 1], { dtype: "int32" }).sum().item(), 16777218);
  const b = nb.tensor([[true, false, true], [true, true, true]]);
  assert.equal(b.sum().dtype, "int32");
  assert.deepEqual(b.sum(1).toArray(), [2, 3]);
  assert.equal(i.max().dtype, "int32");
  assert.equal(i.max().item(), 6);
  assert.equal(b.max().dtype, "bool");
  assert.equal(nb.tensor([1, 2], { dtype: "float64" }).mean().dtype, "float64");
});

test("all/any reduce truthiness over dims for bool, int and float inputs", () => {
  const b = nb.tensor([[true, false], [true, true]]);
  assert.deepEqual(b.all(1).toArray(), [false, true]);
  assert.deepEqual(b.any(0).toArray(), [true, true]);
  assert.deepEqual(b.all([0, 1], true).toArray(), [[false]]);
  assert.equal(nb.tensor([0.5, -2, NaN]).all().item(), 1); // NaN is truthy, as in torch
  assert.equal(nb.tensor([0, 0, 3], { dtype: "int32" }).any().item(), 1);
  assert.equal(nb.tensor([0, 0]).any().dtype, "bool");
});

test("reductions read non-contiguous inputs through their strides", () => {
  const base = nb.arange(12).reshape(3, 4);
  const t = base.transpose(0, 1); // [4, 3], strides [1, 4]
  assertClose(t.sum(1), [12, 15, 18, 21]);
  assertClose(t.max(0), [3, 7, 11]);
  assert.deepEqual(t.argmin(1).toArray(), [0, 0, 0, 0]);
  const s = base.slice(1, 1, 4, 2); // columns 1 and 3
  assertClose(s.sum(0), [15, 21]);
  assertClose(s.prod(1), [3, 35, 99]);
  const e = nb.tensor([[1], [2]]).expand(2, 3); // stride 0
  assertClose(e.sum(1), [3, 6]);
  assertClose(e.sum(), 9);
});

test("reduction gradients match finite differences (float64)", () => {
  const x = randomInput([2, 3, 4], 11);
  const cases: [string, (t: nb.Tensor) => nb.Tensor][] = [
    ["sum dims", (t) => t.sum([0, 2])], ["sum keepdim", (t) => t.sum(1, true)], ["mean", (t) => t.mean(-1)],
    ["mean all", (t) => t.mean()], ["max", (t) => t.max(1)], ["min keepdim", (t) => t.min([0, 2], true)],
    ["prod", (t) => t.prod(2)], ["var", (t) => t.var([0, 1])], ["var pop", (t) => t.var(2, true, { correction: 0 })],
    ["std", (t) => t.std(1)], ["logsumexp", (t) => t.logsumexp([1, 2])], ["logsumexp keepdim", (t) => t.logsumexp(0, true)],
  ];
  for (const [name, f] of cases) gradcheck(f, [x], { name });
});
