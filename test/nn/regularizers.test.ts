import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching, gradcheck, randomInput } from "../helpers/assert.js";

const R = nb.regularizers;

test("l1, l2 and elasticNet on hand-worked tensors", () => {
  const a = nb.tensor([[1, -2], [0, 3]]), b = nb.tensor([-0.5]);
  // Σ|w| = 6.5, Σw² = 14.25
  assertClose(R.l1([a, b], 0.1), 0.65);
  assertClose(R.l2([a, b], 0.1), 1.425);
  assertClose(R.elasticNet([a, b], 0.1, 0.01), 0.65 + 0.1425);
  assert.equal(R.l2([a, b], 0.1).ndim, 0);
  assertClose(R.l2(a, 2), 28); // a single tensor works too
  assert.equal(R.l1([], 1).item(), 0);
});

test("the penalties' gradients: λ·sign(w) for L1, 2λ·w for L2", () => {
  const w = nb.tensor([[1, -2], [0, 3]], { requiresGrad: true });
  R.l1([w], 0.5).backward();
  assertClose(w.grad!, [[0.5, -0.5], [0, 0.5]]);
  w.zeroGrad();
  R.l2([w], 0.5).backward();
  assertClose(w.grad!, [[1, -2], [0, 3]]);
  w.zeroGrad();
  R.elasticNet([w], 0.5, 0.5).backward();
  assertClose(w.grad!, [[1.5, -2.5], [0, 3.5]]);
  const x = randomInput([3, 2], 1), y = randomInput([4], 2);
  gradcheck((p, q) => R.elasticNet([p, q], 0.3, 0.7), [x, y], { name: "elasticNet" });
  gradcheck((p, q) => R.l2([p, q], 0.3), [x, y], { name: "l2" });
});

test("l2 with λ = wd/2 adds exactly SGD's weight decay wd·w to the gradient", () => {
  const wd = 0.01;
  const w = nb.tensor([0.3, -1.2, 2], { requiresGrad: true });
  const loss = w.mul(nb.tensor([1, 2, 3])).sum();
  loss.add(R.l2([w], wd / 2)).backward();
  assertClose(w.grad!, [1 + wd * 0.3, 2 + wd * -1.2, 3 + wd * 2], { rtol: 1e-6 });
});

test("given a Module, exclude leaves out parameters by dotted name (e.g. biases)", () => {
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 2), new nb.nn.Linear(2, 1));
  nb.noGrad(() => {
    for (const [name, p] of model.namedParameters()) p.fill_(name.endsWith("bias") ? 10 : 1);
  });
  // weights: 4 + 2 ones; biases: 2 + 1 tens
  assertClose(R.l2(model, 1), 6 + 300);
  assertClose(R.l2(model, 1, { exclude: (n) => n.endsWith("bias") }), 6);
  assertClose(R.l1(model.namedParameters(), 1, { exclude: (n) => n.startsWith("1.") }), 4 + 20);
  assertClose(R.elasticNet(model, 1, 1, { exclude: (n) => n !== "0.weight" }), 4 + 4);
  // a state dict (Map of name → tensor) is named parameters too
  assertClose(R.l1(model.stateDict(), 0.5, { exclude: (n) => n.endsWith("bias") }), 3);
  // the penalty's gradient reaches only the included parameters
  R.l2(model, 1, { exclude: (n) => n.endsWith("bias") }).backward();
  const grads = new Map(model.namedParameters().map(([n, p]) => [n, p.grad]));
  assertClose(grads.get("0.weight")!, [[2, 2], [2, 2]]);
  assert.equal(grads.get("0.bias"), null);
});

test("regularizers reject bad lambdas, bad params and exclude without names", () => {
  const w = nb.ones([2]);
  assertThrowsMatching(() => R.l1([w], -1), /^l1: lambda must be a non-negative finite number, got -1/);
  assertThrowsMatching(() => R.l2([w], NaN), /^l2: lambda must be a non-negative finite number, got NaN/);
  assertThrowsMatching(() => R.elasticNet([w], 0.1, -2), /^elasticNet: l2 must be a non-negative finite number, got -2/);
  assertThrowsMatching(() => R.l2([w], 1, { exclude: () => false }), /^l2: exclude needs parameter names; pass the Module or model.namedParameters\(\)/);
  assertThrowsMatching(() => R.l2(5 as unknown as nb.Tensor[], 1), /^l2: params must be a Module, tensors, or \[name, tensor\] pairs/);
  assertThrowsMatching(() => R.l1([w, [1] as unknown as nb.Tensor], 1), /^l1: params\[1\] must be a Tensor/);
  assertThrowsMatching(() => R.l1([nb.ones([2], { dtype: "int32" })], 1), /^l1: every parameter must be a floating-point tensor/);
});
