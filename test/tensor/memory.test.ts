// Memory stays flat over long training: with tidy() every buffer goes back to the backend at the
// end of each step; without it, garbage collection (and the FinalizationRegistry) reclaims it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as nb from "../../src/index.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { registerBackend } from "../../src/backend/registry.js";
import type { Backend } from "../../src/backend/backend.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

// A cpu backend that counts live buffers, so the test sees exactly what is freed and when.
let live = 0;
const counting: Backend = {
  ...cpuBackend,
  name: "counting",
  alloc: (dtype, size) => { live++; return cpuBackend.alloc(dtype, size); },
  fromHost: (data) => { live++; return data; },
  free: () => { live--; },
};
registerBackend("counting", 1000, () => counting);

function makeNet(device: string) {
  const g = new nb.Generator(1);
  const p = (shape: number[], scale: number) => nb.randn(shape, { generator: g, device }).mul(scale).detach().requiresGrad_();
  return { w1: p([4, 1, 3, 3], 0.3), b1: p([4], 0.1), w2: p([10, 36], 0.2), b2: p([10], 0.1) };
}

function step(net: ReturnType<typeof makeNet>, x: nb.Tensor, y: nb.Tensor): number {
  const h = nb.maxPool2d(nb.conv2d(x, net.w1, net.b1).relu(), 2).flatten(1);
  const logits = nb.linear(h, net.w2, net.b2);
  const loss = nb.gather(nb.logSoftmax(logits, 1), 1, y.unsqueeze(1)).mean().neg();
  loss.backward();
  nb.noGrad(() => {
    for (const t of Object.values(net)) {
      t.sub_(t.grad!.mul(0.05));
      t.zeroGrad();
    }
  });
  return loss.item();
}

test("5,000 conv-net training steps inside tidy leave no live buffers behind", () => {
  // Made inside tidy so no temporary is left for the garbage collector to free mid-test.
  const net = nb.tidy(() => makeNet("counting"));
  const x = nb.randn([8, 1, 8, 8], { device: "counting", generator: new nb.Generator(2) });
  const y = nb.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: "int32", device: "counting" });
  let first = 0, last = 0;
  nb.tidy(() => step(net, x, y)); // warm up
  const baseline = live;
  for (let i = 0; i < 5000; i++) {
    const loss = nb.tidy(() => step(net, x, y));
    if (i === 0) first = loss;
    last = loss;
    // Bound: not one buffer more than after the first step (params, inputs, no grads held).
    assert.equal(live, baseline, `step ${i}: ${live - baseline} buffers leaked`);
  }
  assert.ok(last < first, `training lowers the loss (${first} -> ${last})`);
});

test("without tidy, garbage collection keeps the heap flat over 5,000 steps", () => {
  const net = makeNet("cpu");
  const x = nb.randn([8, 1, 8, 8], { generator: new nb.Generator(2), device: "cpu" });
  const y = nb.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: "int32", device: "cpu" });
  for (let i = 0; i < 500; i++) step(net, x, y);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 5000; i++) step(net, x, y);
  gc();
  const after = process.memoryUsage().heapUsed;
  // Bound: the heap may not grow by more than 8 MB over 5,000 steps (each step allocates ~100 KB).
  assert.ok(after - before < 8 * 2 ** 20, `heap grew by ${((after - before) / 2 ** 20).toFixed(1)} MB`);
});
