// Where one training step's time goes: every call into the active backend is timed by a wrapper
// and summed per kernel (and op), next to the step's wall time; the rest is JavaScript (autograd,
// tidy, op dispatch). The course's typical CNN and LeNet-5 train with Adam on MNIST-shaped random
// batches (64 / 256 images), ResNet-18 with SGD momentum on 3×32×32 (32 images). 5 warm-up steps,
// then the mean of `steps` steps. Run: node --import tsx bench/step-profile.ts [typicalCnn|lenet5|resnet18] [steps]
// (NABLA_NUM_THREADS=1 for the one-thread figures in docs/native.md).

import * as nb from "../src/index.js";
import { activeBackend } from "../src/backend/registry.js";
import type { Backend } from "../src/backend/backend.js";

const which = (process.argv[2] ?? "typicalCnn") as "typicalCnn" | "lenet5" | "resnet18";
const steps = Number(process.argv[3] ?? (which === "resnet18" ? 4 : 50));
const batch = which === "typicalCnn" ? 64 : which === "lenet5" ? 256 : 32;
const input = which === "resnet18" ? [3, 32, 32] : [1, 28, 28];

console.log(`backend ${nb.getBackend()}`);
const backend = activeBackend() as unknown as Record<string, unknown>;
const perKernel = new Map<string, number>();
const calls = new Map<string, number>();
let inKernels = 0;
for (const [name, fn] of Object.entries(backend as unknown as Backend)) {
  if (typeof fn !== "function") continue;
  backend[name] = (...args: unknown[]) => {
    const t = performance.now();
    const result = (fn as (...a: unknown[]) => unknown).apply(backend, args);
    const dt = performance.now() - t;
    const key = typeof args[0] === "string" ? `${name}:${args[0]}` : name;
    perKernel.set(key, (perKernel.get(key) ?? 0) + dt);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    inKernels += dt;
    return result;
  };
}

nb.manualSeed(0);
// Fused as nb.fit trains it (conv → relu → pool blocks as one op).
const model = nb.nn.fuse(which === "resnet18" ? nb.models.resnet18({ numClasses: 10 }) : nb.models[which]());
const opt = which === "resnet18"
  ? new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })
  : new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = nb.rand([batch, ...input]);
const y = nb.randint(0, 10, [batch]);
const step = () => nb.tidy(() => {
  opt.zeroGrad();
  nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y).backward();
  opt.step();
});
for (let i = 0; i < 5; i++) step();
perKernel.clear();
calls.clear();
inKernels = 0;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const wall = (performance.now() - t0) / steps;
console.log(`${which}, batch ${batch}: ${wall.toFixed(2)} ms per step, ${(inKernels / steps).toFixed(2)} ms in kernels, ${(wall - inKernels / steps).toFixed(2)} ms elsewhere`);
for (const [k, v] of [...perKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${(v / steps).toFixed(3).padStart(9)} ms  ${String((calls.get(k) ?? 0) / steps).padStart(4)} calls  ${k}`);
}
