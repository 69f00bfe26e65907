// The native backend's optional fused kernels (adamStep, sgdStep, crossEntropy and its backward)
// against the composite paths the cpu backend runs: the same optimizer steps and the same losses
// and gradients, within float32 rounding, and proof that the fused kernel (not the fallback) ran.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import type { Backend } from "../../src/backend/backend.js";
import { assertClose } from "../helpers/assert.js";
import { native, skipNative } from "./native-helpers.js";

/** Count calls of one backend entry while `body` runs. */
function counting<K extends keyof Backend>(backend: Backend, key: K, body: () => void): number {
  const original = backend[key];
  let calls = 0;
  (backend as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => {
    calls++;
    return (original as (...a: unknown[]) => unknown).apply(backend, args);
  };
  try {
    body();
  } finally {
    (backend as unknown as Record<string, unknown>)[key] = original;
  }
  return calls;
}

type MakeOptimizer = (params: nb.Tensor[]) => { step(): unknown };

const OPTIMIZERS: [string, "adamStep" | "sgdStep", MakeOptimizer][] = [
  ["Adam", "adamStep", (p) => new nb.optim.Adam(p, { lr: 1e-2 })],
  ["Adam amsgrad + weight decay + maximize", "adamStep", (p) => new nb.optim.Adam(p, { lr: 1e-2, amsgrad: true, weightDecay: 0.1, maximize: true })],
  ["AdamW", "adamStep", (p) => new nb.optim.AdamW(p, { lr: 1e-2, weightDecay: 0.05, betas: [0.8, 0.99], eps: 1e-6 })],
  ["AdamW amsgrad", "adamStep", (p) => new nb.optim.AdamW(p, { lr: 1e-2, amsgrad: true })],
  ["SGD", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.1 })],
  ["SGD momentum + dampening + weight decay", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 1e-2 })],
  ["SGD Nesterov + maximize", "sgdStep", (p) => new nb.optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true })],
];

/** 12 steps on three parameters (one large enough to be split over threads) with fixed gradients. */
function run(device: string, make: MakeOptimizer): nb.Tensor[] {
  const shapes = [[7], [33, 5], [70000]];
  const params = shapes.map((s, i) => nb.randn(s, { generator: new nb.Generator(10 + i), device }).requiresGrad_());
  const opt = make(params);
  for (let step = 0; step < 12; step++) {
    params.forEach((p, i) => {
      p.grad = nb.randn(p.shape, { generator: new nb.Generator(100 * step + i), device });
    });
    opt.step();
  }
  return params;
}

for (const [name, entry, make] of OPTIMIZERS) {
  test(`fused ${name} equals the composite update over 12 steps`, { skip: skipNative }, () => {
    const reference = run("cpu", make);
    let fused: nb.Tensor[] = [];
    const calls = counting(native(), entry, () => {
      fused = run("native", make);
    });
    assert.equal(calls, 36, `${entry} calls`);
    // float32: the two paths round the same operations, with FMA-free arithmetic on both sides.
    fused.forEach((p, i) => assertClose(p.to("cpu"), reference[i], { rtol: 2e-5, atol: 1e-6 }));
  });
}

test("the fused update falls back to the composite path for float64 and non-contiguous gradients", { skip: skipNative }, () => {
  const p64 = nb.randn([4], { dtype: "float64", device: "native" }).requiresGrad_();
  p64.grad = nb.ones([4], { dtype: "float64", device: "native" });
  const calls64 = counting(native(), "adamStep", () => new nb.optim.Adam([p64]).step());
  assert.equal(calls64, 0);
  const p = nb.zeros([3, 2], { device: "native" }).requiresGrad_();
  p.grad = nb.tensor([[1, 2, 3], [4, 5, 6]], { device: "native" }).transpose(0, 1);
  const callsT = counting(native(), "sgdStep", () => new nb.optim.SGD([p], { lr: 1 }).step());
  assert.equal(callsT, 0);
  assert.deepEqual(p.toArray(), [[-1, -4], [-2, -5], [-3, -6]]);
});

test("a fused step bumps the parameter's version, so a graph that saved it refuses backward", { skip: skipNative }, () => {
  const w = nb.tensor([1, 2, 3], { device: "native", requiresGrad: true });
  const y = w.mul(w).sum(); // saves w
  w.grad = nb.ones([3], { device: "native" });
  new nb.optim.SGD([w], { lr: 0.1 }).step();
  assert.throws(() => y.backward(), /modified by an in-place operation|in-place/);
});

// ---- cross-entropy ---------------------------------------------------------------------------

interface CeCase {
  name: string;
  n: number;
  c: number;
  ignoreIndex?: number;
  ignored?: number[];
  scale?: number;
}

const CE_CASES: CeCase[] = [
  { name: "[64, 10]", n: 64, c: 10 },
  { name: "[1, 1]", n: 1, c: 1 },
  { name: "[5, 1000] with large logits", n: 5, c: 1000, scale: 60 },
  { name: "[9, 4] with ignored targets", n: 9, c: 4, ignoreIndex: -100, ignored: [0, 4, 8] },
  { name: "[6, 3] with ignoreIndex 2", n: 6, c: 3, ignoreIndex: 2 },
  { name: "[3, 5] every target ignored", n: 3, c: 5, ignoreIndex: 7, ignored: [0, 1, 2] },
  { name: "[0, 4]", n: 0, c: 4 },
];

function ceOperands(c: CeCase, device: string): { x: nb.Tensor; t: nb.Tensor } {
  const g = new nb.Generator(c.n * 31 + c.c);
  const x = nb.randn([c.n, c.c], { generator: g, device }).mul(c.scale ?? 3);
  const labels = nb.randint(0, c.c, [c.n], { generator: g, dtype: "int32", device }).toArray() as number[];
  for (const i of c.ignored ?? []) labels[i] = c.ignoreIndex ?? -100;
  return { x: x.detach().requiresGrad_(), t: nb.tensor(labels, { dtype: "int32", device }) };
}

for (const c of CE_CASES) {
  for (const reduction of ["mean", "sum", "none"] as const) {
    test(`fused cross-entropy ${c.name}, reduction ${reduction}: loss and gradient equal the composite`, { skip: skipNative }, () => {
      const opts = { reduction, ignoreIndex: c.ignoreIndex };
      const lossOf = (device: string) => {
        const { x, t } = ceOperands(c, device);
        const loss = nb.nn.functional.crossEntropy(x, t, opts);
        // A non-uniform upstream gradient for "none" exercises the per-sample path.
        const upstream = reduction === "none" ? loss.mul(nb.arange(1, c.n + 1, 1, { device })).sum() : loss.mul(1.5);
        upstream.backward();
        return { loss: loss.detach().to("cpu"), grad: x.grad!.to("cpu") };
      };
      const ref = lossOf("cpu");
      let ours = ref;
      const calls = counting(native(), "crossEntropyBackward", () => {
        ours = lossOf("native");
      });
      assert.equal(calls, 1, "crossEntropyBackward calls");
      assertClose(ours.loss, ref.loss, { rtol: 1e-5, atol: 1e-6 });
      assertClose(ours.grad, ref.grad, { rtol: 1e-5, atol: 1e-7 });
    });
  }
}

test("fused cross-entropy keeps the composite's errors and the composite handles what it does not fuse", { skip: skipNative }, () => {
  const x = nb.randn([4, 3], { device: "native" });
  assert.throws(() => nb.nn.functional.crossEntropy(x, nb.tensor([0, 1, 3, 0], { dtype: "int32", device: "native" })), /crossEntropy: target 3 is out of range for 3 classes/);
  // Weights, label smoothing and [N, C, d] inputs take the composite path: no fused call.
  const t = nb.tensor([0, 1, 2, 0], { dtype: "int32", device: "native" });
  const calls = counting(native(), "crossEntropy", () => {
    nb.nn.functional.crossEntropy(x, t, { weight: nb.tensor([1, 2, 3], { device: "native" }) });
    nb.nn.functional.crossEntropy(x, t, { labelSmoothing: 0.1 });
    nb.nn.functional.crossEntropy(nb.randn([2, 3, 2], { device: "native" }), nb.tensor([[0, 1], [2, 0]], { dtype: "int32", device: "native" }));
  });
  assert.equal(calls, 0);
});
