// The cuda addon's fused kernels against the composite computations they replace, run on the cpu
// backend: Adam/AdamW (AMSGrad, maximize, weight decay) and SGD (momentum, dampening, Nesterov,
// weight decay) steps of nb.optim, and softmax cross-entropy (per-row loss and its gradient) of
// nb.nn.functional.crossEntropy. The optimizer kernels round where the composite float32 ops round
// and cannot contract multiply-adds, so their steps must equal nb.optim's bit for bit; the loss
// sums in double in another order: rtol 1e-5. Skips with the reason when the backend is unavailable.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import * as nb from "../../src/index.js";
import { cudaFused } from "../../src/backend/cuda/index.js";
import { Rng, cuda, skipCuda } from "./cuda-helpers.js";

/** A dense float32 device view holding `data` (shape [n]). */
function deviceVector(data: Float32Array | Int32Array): View {
  const dtype = data instanceof Int32Array ? "int32" : "float32";
  return { buf: cuda().fromHost(data.slice()), dtype, shape: [data.length], strides: [1], offset: 0 };
}

const read = (v: View): Float32Array => cuda().readSync(v.buf, "float32", v.offset, v.shape.reduce((a, b) => a * b, 1)) as Float32Array;

function normals(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

test("fused Adam / AdamW steps equal nb.optim's composite steps bit for bit", { skip: skipCuda }, () => {
  const rng = new Rng(301);
  const configs = [
    { cls: "Adam", opts: { lr: 1e-2 } },
    { cls: "Adam", opts: { lr: 3e-3, weightDecay: 0.1, amsgrad: true } },
    { cls: "Adam", opts: { lr: 1e-3, betas: [0.8, 0.95] as [number, number], eps: 1e-6, maximize: true } },
    { cls: "AdamW", opts: { lr: 1e-2, weightDecay: 0.05 } },
    { cls: "AdamW", opts: { lr: 2e-3, amsgrad: true, maximize: true } },
  ] as const;
  for (const { cls, opts } of configs) {
    const n = 1000;
    const theta = normals(rng, n), grads = [normals(rng, n), normals(rng, n, 1e-3), normals(rng, n, 10)];
    // Composite: nb.optim on the cpu backend.
    const p = nb.tensor(theta.slice(), { device: "cpu" });
    p.requiresGrad = true;
    const opt = cls === "Adam" ? new nb.optim.Adam([p], opts) : new nb.optim.AdamW([p], opts);
    // Fused: the same steps on device buffers.
    const dp = deviceVector(theta), dm = deviceVector(new Float32Array(n)), dv = deviceVector(new Float32Array(n));
    const amsgrad = "amsgrad" in opts && opts.amsgrad;
    const dmax = amsgrad ? deviceVector(new Float32Array(n)) : null;
    grads.forEach((g, k) => {
      p.grad = nb.tensor(g.slice(), { device: "cpu" });
      opt.step();
      const dg = deviceVector(g);
      cudaFused().adamStep(dp, dg, dm, dv, dmax, {
        lr: opts.lr, betas: "betas" in opts ? opts.betas : [0.9, 0.999], eps: "eps" in opts ? opts.eps : 1e-8,
        weightDecay: "weightDecay" in opts ? opts.weightDecay : cls === "AdamW" ? 1e-2 : 0,
        step: k + 1, decoupled: cls === "AdamW", maximize: "maximize" in opts && opts.maximize,
      });
      assert.deepEqual(read(dp), p.dataSync(), `${cls} ${JSON.stringify(opts)} step ${k + 1}`);
    });
  }
});

test("fused SGD steps (momentum, dampening, Nesterov, weight decay, maximize) equal nb.optim.SGD bit for bit", { skip: skipCuda }, () => {
  const rng = new Rng(302);
  const configs = [
    { lr: 0.1 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 },
    { lr: 0.01, momentum: 0.8, nesterov: true, weightDecay: 5e-4 },
    { lr: 0.01, momentum: 0.5, maximize: true },
  ];
  for (const opts of configs) {
    const n = 777;
    const theta = normals(rng, n);
    const p = nb.tensor(theta.slice(), { device: "cpu" });
    p.requiresGrad = true;
    const opt = new nb.optim.SGD([p], opts);
    const momentum = opts.momentum ?? 0;
    const dp = deviceVector(theta), buf = momentum !== 0 ? deviceVector(new Float32Array(n)) : null;
    for (let k = 0; k < 4; k++) {
      const g = normals(rng, n);
      p.grad = nb.tensor(g.slice(), { device: "cpu" });
      opt.step();
      cudaFused().sgdStep(dp, deviceVector(g), buf, {
        lr: opts.lr, momentum, dampening: opts.dampening ?? 0, weightDecay: opts.weightDecay ?? 0,
        nesterov: opts.nesterov ?? false, maximize: opts.maximize ?? false, firstStep: k === 0,
      });
      assert.deepEqual(read(dp), p.dataSync(), `SGD ${JSON.stringify(opts)} step ${k + 1}`);
    }
  }
});

test("fused cross-entropy forward (per-row loss) and backward equal the composite loss and its autograd gradient", { skip: skipCuda }, () => {
  const rng = new Rng(303);
  for (const [N, C] of [[1, 2], [64, 10], [33, 1000], [5, 37]]) {
    for (const [ignoreIndex, labelSmoothing] of [[-100, 0], [3, 0], [-100, 0.1], [1, 0.25]]) {
      const logits = normals(rng, N * C, 3);
      const target = Int32Array.from({ length: N }, () => rng.int(0, C - 1));
      if (N > 2) target[1] = ignoreIndex >= 0 && ignoreIndex < C ? ignoreIndex : target[1];
      const gy = normals(rng, N);
      // Composite on the cpu: crossEntropy with reduction "none", its gradient through autograd.
      const x = nb.tensor(logits.slice(), { shape: [N, C], device: "cpu" });
      x.requiresGrad = true;
      const loss = nb.nn.functional.crossEntropy(x, nb.tensor(target.slice(), { device: "cpu" }), { reduction: "none", ignoreIndex, labelSmoothing });
      loss.mul(nb.tensor(gy.slice(), { device: "cpu" })).sum().backward();
      // Fused on the device.
      const dx: View = { ...deviceVector(logits), shape: [N, C], strides: [C, 1] };
      const dt = deviceVector(target), dl = deviceVector(new Float32Array(N)), dlse = deviceVector(new Float32Array(N));
      cudaFused().crossEntropyForward(dx, dt, dl, dlse, ignoreIndex, labelSmoothing);
      const got = read(dl), want = loss.dataSync();
      for (let n = 0; n < N; n++) assert.ok(Math.abs(got[n] - want[n]) <= 1e-5 * Math.abs(want[n]) + 1e-6, `loss row ${n} of ${N}x${C}: ${got[n]} vs ${want[n]}`);
      const dgx: View = { ...deviceVector(new Float32Array(N * C)), shape: [N, C], strides: [C, 1] };
      cudaFused().crossEntropyBackward(dx, dt, dlse, deviceVector(gy), dgx, ignoreIndex, labelSmoothing);
      const g = read(dgx), wantG = x.grad!.dataSync();
      for (let i = 0; i < N * C; i++) assert.ok(Math.abs(g[i] - wantG[i]) <= 1e-5 * Math.abs(wantG[i]) + 1e-6, `gradient ${i} of ${N}x${C}: ${g[i]} vs ${wantG[i]}`);
    }
  }
});

test("fused kernels refuse mismatched operands before touching memory", { skip: skipCuda }, () => {
  const p = deviceVector(new Float32Array(10)), g = deviceVector(new Float32Array(9));
  assert.throws(() => cudaFused().sgdStep(p, g, null, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: false }),
    /sgdStep: cuda backend: grad has 9 elements, the parameter 10/);
  const logits: View = { ...deviceVector(new Float32Array(12)), shape: [3, 4], strides: [4, 1] };
  assert.throws(() => cudaFused().crossEntropyForward(logits, deviceVector(new Int32Array(2)), deviceVector(new Float32Array(3)), deviceVector(new Float32Array(3)), -100, 0),
    /crossEntropyForward: cuda backend: target must be a contiguous vector of 3 elements/);
  // A target out of range is found on the device and reported at the next read.
  const t = deviceVector(Int32Array.of(0, 7, 1));
  cudaFused().crossEntropyForward(logits, t, deviceVector(new Float32Array(3)), deviceVector(new Float32Array(3)), -100, 0);
  assert.throws(() => nb.cuda.synchronize(), /crossEntropy: target 7 is out of range for 4 classes/);
});
