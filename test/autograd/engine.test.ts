import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

test("backward from a scalar fills .grad of leaves only", () => {
  const x = nb.tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(x).sum(); // dy/dx = 2x
  const h = x.mul(2);
  assert.equal(x.isLeaf, true);
  assert.equal(h.isLeaf, false);
  y.backward();
  assertClose(x.grad!, [2, 4, 6]);
  assert.equal(h.grad, null);
  assert.equal(y.gradFn?.name, "SumBackward");
});

test("gradients accumulate across backward calls, and zeroGrad clears them", () => {
  const w = nb.tensor([1, -1], { requiresGrad: true });
  w.mul(3).sum().backward();
  w.mul(3).sum().backward();
  assertClose(w.grad!, [6, 6]);
  w.zeroGrad();
  assert.equal(w.grad, null);
});

test("a tensor used twice gets the sum of both paths", () => {
  const x = nb.tensor(2, { requiresGrad: true });
  const y = x.mul(x).add(x.mul(3)); // 2x + 3
  y.backward();
  assertClose(x.grad!, 7);
});

test("backward with an explicit gradient for non-scalar outputs", () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const y = x.mul(nb.tensor([3, 4]));
  assertThrowsMatching(() => y.backward(), /backward: a gradient can be created implicitly only for a scalar/, /\[2\]/);
  y.backward(nb.tensor([1, 10]));
  assertClose(x.grad!, [3, 40]);
  const z = x.mul(2);
  assertThrowsMatching(() => z.backward(nb.tensor([1, 2, 3])), /gradient shape \[3\] does not match the output shape \[2\]/);
});

test("a second backward through a freed graph is an error unless retainGraph", () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward({ retainGraph: true });
  y.backward();
  assertClose(x.grad!, x.detach().exp().mul(2));
  assertThrowsMatching(() => y.backward(), /backward through the graph a second time/, /retainGraph/);
});

test("noGrad and detach cut the graph", () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const y = nb.noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  const z = x.mul(d).sum(); // d is a constant
  z.backward();
  assertClose(x.grad!, [1, 2]);
  assertThrowsMatching(() => d.sum().backward(), /does not require grad/);
});

test("requiresGrad rules: only float leaves", () => {
  assertThrowsMatching(() => nb.tensor([1], { dtype: "int32", requiresGrad: true }), /only floating-point tensors can require gradients/);
  const x = nb.tensor([1], { requiresGrad: true });
  assertThrowsMatching(() => { x.mul(2).requiresGrad = false; }, /only leaf tensors/);
});

test("retainGrad keeps the gradient of a non-leaf", () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const h = x.mul(3).retainGrad();
  h.square().sum().backward();
  assertClose(h.grad!, [6, 12]);
  assertClose(x.grad!, [18, 36]);
});

test("modifying a saved tensor in place before backward is detected", () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const a = nb.tensor([3, 4]);
  const y = x.mul(a).sum();
  nb.noGrad(() => a.add_(1));
  assertThrowsMatching(() => y.backward(), /modified by an in-place operation/, /MulBackward/);
});

test("an optimizer-style in-place update between steps does not break the next step", () => {
  const w = nb.tensor([1, 2], { requiresGrad: true });
  for (let step = 0; step < 3; step++) {
    const loss = w.mul(w).sum();
    loss.backward();
    nb.noGrad(() => w.sub_(w.grad!.mul(0.25)));
    w.zeroGrad();
  }
  // w ← w − 0.25·2w = 0.5 w each step.
  assertClose(w, [0.125, 0.25]);
});

test("gradients sum over broadcast dimensions", () => {
  const b = nb.tensor([1, 2, 3], { requiresGrad: true });
  const s = nb.tensor(2, { requiresGrad: true });
  nb.ones([4, 3]).mul(b).mul(s).sum().backward();
  assertClose(b.grad!, [8, 8, 8]);
  assertClose(s.grad!, 24);
});

test("saved tensors survive tidy so backward can run outside it", () => {
  const x = nb.tensor([1, 2, 3], { requiresGrad: true });
  const loss = nb.tidy(() => x.exp().mul(x).sum());
  loss.backward(); // d/dx x·e^x = (1 + x)e^x
  assertClose(x.grad!, x.detach().exp().mul(x.detach().add(1)), { rtol: 1e-6 });
});

test("grads assigned inside tidy outlive it", () => {
  const w = nb.tensor([1, 2], { requiresGrad: true });
  nb.tidy(() => {
    w.mul(w).sum().backward();
  });
  assert.equal(w.grad!.isDisposed, false);
  assertClose(w.grad!, [2, 4]);
});
