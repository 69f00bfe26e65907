// The wasm backend's benchmark workload, written once and run in Node and in Chromium by
// bench/wasm.ts (it gets `nb` as an argument, so the page runs this very code on its bundle):
// sgemm 1024 through nb.matmul (GFLOP/s, the copies into and out of wasm memory included) and
// training steps of the course's typical CNN (batch 64, Adam, MNIST-shaped random data; img/s).

import type * as Nabla from "../src/index.browser.js";

export interface ProgramFigures {
  backend: string;
  sgemmGflops: number;
  cnnImgPerSec: number;
}

function best(fn: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) fn();
  let bestMs = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  return bestMs;
}

export function benchProgram(nb: typeof Nabla, backend: string, opts: { cnnSteps: number; cnnRuns: number } = { cnnSteps: 20, cnnRuns: 3 }): ProgramFigures {
  nb.setBackend(backend);
  const n = 1024;
  const a = nb.rand([n, n]), b = nb.rand([n, n]);
  const gemmMs = best(() => a.matmul(b).dispose(), 1, 4);
  a.dispose();
  b.dispose();

  nb.manualSeed(0);
  const model = nb.nn.fuse(nb.models.typicalCnn());
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.randn([64, 1, 28, 28]), y = nb.randint(0, 10, [64]);
  const step = () => nb.tidy(() => {
    opt.zeroGrad();
    nb.nn.functional.crossEntropy(model.forward(x), y).backward();
    opt.step();
  });
  const stepsMs = best(() => {
    for (let i = 0; i < opts.cnnSteps; i++) step();
  }, 2, opts.cnnRuns);
  return { backend, sgemmGflops: (2 * n ** 3) / gemmMs / 1e6, cnnImgPerSec: (64 * opts.cnnSteps) / (stepsMs / 1000) };
}
