// autograd's post-accumulate-grad hook (src/autograd/grad-hooks.ts), which DistributedDataParallel
// uses to launch gradient buckets during backward: once per backward, after the last contribution.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { registerPostAccumulateGradHook } from "../../src/autograd/grad-hooks.js";

test("a leaf used several times: the hook runs once, with the complete gradient", () => {
  const w = nb.tensor([1, 2, 3], { requiresGrad: true });
  const unused = nb.tensor([5], { requiresGrad: true });
  const seen: number[][] = [];
  registerPostAccumulateGradHook(w, (leaf) => seen.push(Array.from(leaf.grad!.dataSync())));
  const unusedCalls: number[] = [];
  registerPostAccumulateGradHook(unused, () => unusedCalls.push(1));
  // d/dw of sum(w·w) + sum(3w) + sum(w) = 2w + 4
  w.mul(w).sum().add(w.mul(3).sum()).add(w.sum()).backward();
  assert.deepEqual(seen, [[6, 8, 10]]);
  assert.deepEqual(unusedCalls, []);
  // A second backward accumulates: the hook sees the running total, once more.
  w.sum().backward();
  assert.deepEqual(seen, [[6, 8, 10], [7, 9, 11]]);
});

test("the hook runs after the leaf's gradient, while backward still has nodes to run; remove() stops it", () => {
  const a = nb.tensor([2], { requiresGrad: true });
  const b = nb.tensor([3], { requiresGrad: true });
  const order: string[] = [];
  const ha = registerPostAccumulateGradHook(a, (leaf) => order.push(`a:${leaf.grad!.item()} b:${b.grad?.item() ?? "none"}`));
  registerPostAccumulateGradHook(b, (leaf) => order.push(`b:${leaf.grad!.item()}`));
  // a enters at the end of the graph (its gradient is ready first), b at the start.
  b.mul(4).exp().log().mul(a).backward();
  assert.deepEqual(order, ["a:12 b:none", "b:8"]);
  ha.remove();
  b.mul(a).backward();
  assert.deepEqual(order, ["a:12 b:none", "b:8", "b:10"]);
  assert.throws(() => registerPostAccumulateGradHook(a.mul(2), () => {}), /registerPostAccumulateGradHook: the tensor is not a leaf/);
});
