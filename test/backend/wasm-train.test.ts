// The wasm backend's fused entries (adamStep, sgdStep, crossEntropy and its backward) against the
// composite paths the cpu backend runs, and a small CNN trained a few steps on wasm and on cpu.
// Tolerances: the fused updates round the same float32 operations as the composite (|Δ| ≤ 1e-6 +
// 2e-5·|x|); a training run adds GEMM re-association each step, so its losses and weights agree to
// |Δ| ≤ 1e-4 + 1e-4·|x| after 6 steps.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import type { Backend } from "../../src/backend/backend.js";
import { assertClose } from "../helpers/assert.js";
import { skipWasm } from "./wasm-helpers.js";

/** Count calls of one entry of the backend object while body runs. */
function counting(backend: Backend, key: keyof Backend, body: () => void): number {
  const target = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  const original = target[key];
  let calls = 0;
  target[key] = (...args: unknown[]) => {
    calls++;
    return original.apply(backend, args);
  };
  try {
    body();
  } finally {
    target[key] = original;
  }
  return calls;
}

const wasm = (): Backend => nb.tensor([0], { device: "wasm" }).backend;

type MakeOptimizer = (params: nb.Tensor[]) => { step(): unknown };
const OPTIMIZERS: [string, "adamStep" | "sgdStep", MakeOptimizer][] = [
  ["Adam", "adamStep", (p) => new nb.optim.Adam(p, { lr: 1e-2 })],
  ["Adam amsgrad + weight decay + maximize", "adamStep", (p) => new nb.optim.Adam(p, { lr: 1e-2, amsgrad: true, weightDecay: 0.1, maximize: true })],
  ["AdamW", "adamStep", (p) => new nb.optim.AdamW(p, { lr: 1e-2, weightDecay: 0.05, betas: [0.8, 0.99], eps: 1e-6 })],
  ["SGD", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.1 })],
  ["SGD momentum + dampening + weight decay", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 1e-2 })],
  ["SGD Nesterov + maximize", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true })],
];

function steps(device: string, make: MakeOptimizer): nb.Tensor[] {
  const params = [[7], [33, 5], [1001]].map((s, i) => nb.randn(s, { generator: new nb.Generator(10 + i), device }).requiresGrad_());
  const opt = make(params);
  for (let step = 0; step < 8; step++) {
    params.forEach((p, i) => {
      p.grad = nb.randn(p.shape, { generator: new nb.Generator(100 * step + i), device });
    });
    opt.step();
  }
  return params;
}

for (const [name, entry, make] of OPTIMIZERS) {
  test(`wasm fused ${name} equals the composite update over 8 steps`, { skip: skipWasm }, () => {
    const reference = steps("cpu", make);
    let fused: nb.Tensor[] = [];
    const calls = counting(wasm(), entry, () => {
      fused = steps("wasm", make);
    });
    assert.equal(calls, 24, `${entry} calls`);
    fused.forEach((p, i) => assertClose(p.to("cpu"), reference[i], { rtol: 2e-5, atol: 1e-6 }));
  });
}

test("wasm fused cross-entropy: losses and gradients equal the composite, ignored targets and every reduction", { skip: skipWasm }, () => {
  for (const [n, c, ignored] of [[64, 10, []], [1, 1, []], [9, 4, [0, 4, 8]], [5, 300, [2]]] as [number, number, number[]][]) {
    for (const reduction of ["mean", "sum", "none"] as const) {
      const run = (device: string) => {
        const g = new nb.Generator(n * 31 + c);
        const x = nb.randn([n, c], { generator: g, device }).mul(4).detach().requiresGrad_();
        const labels = nb.randint(0, c, [n], { generator: g, dtype: "int32", device }).toArray() as number[];
        for (const i of ignored) labels[i] = -100;
        const loss = nb.nn.functional.crossEntropy(x, nb.tensor(labels, { dtype: "int32", device }), { reduction });
        (reduction === "none" ? loss.mul(nb.arange(1, n + 1, 1, { device })).sum() : loss.mul(1.5)).backward();
        return { loss: loss.detach().to("cpu"), grad: x.grad!.to("cpu") };
      };
      const ref = run("cpu");
      let ours = ref;
      const calls = counting(wasm(), "crossEntropyBackward", () => {
        ours = run("wasm");
      });
      assert.equal(calls, 1, `[${n}, ${c}] ${reduction}: the fused kernel ran`);
      assertClose(ours.loss, ref.loss, { rtol: 1e-5, atol: 1e-6, msg: `[${n}, ${c}] ${reduction} loss` });
      assertClose(ours.grad, ref.grad, { rtol: 1e-5, atol: 1e-7, msg: `[${n}, ${c}] ${reduction} grad` });
    }
  }
});

test("wasm cross-entropy rejects an out-of-range target naming it", { skip: skipWasm }, () => {
  const x = nb.randn([3, 4], { device: "wasm" });
  const t = nb.tensor([0, 4, 1], { dtype: "int32", device: "wasm" }).raw();
  const out = nb.empty([], { device: "wasm" }).raw(), lse = nb.empty([3], { device: "wasm" }).raw();
  assert.throws(() => wasm().crossEntropy!(x.raw(), t, -100, "mean", out, lse), /crossEntropy: target 4 at position 1 is out of range for 4 classes/);
});

test("a small CNN trains 6 steps on wasm with cpu's losses and weights (float32 tolerance)", { skip: skipWasm }, () => {
  const train = (device: string) => {
    nb.manualSeed(5);
    const { nn } = nb;
    const model = new nn.Sequential(
      new nn.Conv2d(1, 6, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 10, 3, { stride: 2 }), new nn.ReLU(), new nn.AvgPool2d(2), new nn.Flatten(), new nn.Linear(10, 5),
    ).to(device);
    const x = nb.randn([10, 1, 13, 13], { generator: new nb.Generator(1), device });
    const y = nb.randint(0, 5, [10], { generator: new nb.Generator(2), device });
    const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      opt.zeroGrad();
      const loss = nb.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return { losses, weights: model.parameters().map((p) => p.detach().to("cpu")), backend: model.parameters()[0].backend.name };
  };
  const cpu = train("cpu"), ours = train("wasm");
  assert.equal(ours.backend, "wasm");
  assert.ok(ours.losses[5] < ours.losses[0], `the loss falls: ${ours.losses}`);
  assertClose(nb.tensor(ours.losses), cpu.losses, { rtol: 1e-4, atol: 1e-4, msg: "losses" });
  ours.weights.forEach((w, i) => assertClose(w, cpu.weights[i], { rtol: 1e-4, atol: 1e-4, msg: `parameter ${i}` }));
});
