// nb.compile against eager on the course's typical CNN (fused as nb.fit trains it, batch 64, Adam,
// MNIST-shaped random data): milliseconds per training step. The compiled step replays the traced
// op sequence (no module forward JavaScript) with backward and optimizer.step run eagerly, so the
// gain is bounded by the forward's share of the dispatch. Eager and compiled runs alternate in the
// same process (the machine is shared: both see the same load), 200 warm-up steps each, then the
// best of 7 runs of 40 steps. The same for the eval-mode forward alone (inference).
// Run: node --import tsx bench/compile.ts

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import type { BenchResult } from "./common.js";

const BATCH = 64, STEPS = 40, RUNS = 7, WARMUP = 200;

function setup() {
  nb.manualSeed(0);
  const model = nb.nn.fuse(nb.models.typicalCnn());
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  return (x: nb.Tensor, y: nb.Tensor) => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
    return loss;
  };
}

export function benchCompile(): BenchResult[] {
  const x = nb.rand([BATCH, 1, 28, 28]);
  const y = nb.randint(0, 10, [BATCH]);
  const eager = setup();
  const compiled = nb.compile(setup());
  // One call's result read on the host (as a training loop reads the loss), inside a tidy scope.
  const run = (step: (x: nb.Tensor, y: nb.Tensor) => nb.Tensor, n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) nb.tidy(() => step(x, y).dataSync());
    return (performance.now() - t) / n;
  };
  run(eager, WARMUP);
  run(compiled, WARMUP);
  let bestEager = Infinity, bestCompiled = Infinity;
  for (let r = 0; r < RUNS; r++) {
    bestEager = Math.min(bestEager, run(eager, STEPS));
    bestCompiled = Math.min(bestCompiled, run(compiled, STEPS));
  }
  // Inference: the eval-mode forward under noGrad, where the module JavaScript is a larger share.
  nb.manualSeed(0);
  const model = nb.nn.fuse(nb.models.typicalCnn()).eval();
  const forward = (t: nb.Tensor) => nb.noGrad(() => model.forward(t) as nb.Tensor);
  const compiledForward = nb.compile(forward);
  run((t) => forward(t), WARMUP);
  run((t) => compiledForward(t), WARMUP);
  let bestForward = Infinity, bestCompiledForward = Infinity;
  for (let r = 0; r < RUNS; r++) {
    bestForward = Math.min(bestForward, run((t) => forward(t), STEPS));
    bestCompiledForward = Math.min(bestCompiledForward, run((t) => compiledForward(t), STEPS));
  }
  if (compiled.stats.traces !== 1 || compiled.breaks.length) throw new Error(`bench compile: expected one trace and no break, got ${JSON.stringify(compiled.stats)} ${compiled.breaks.map((b) => b.reason).join("; ")}`);
  return [
    { name: `typical CNN train step, batch ${BATCH}, eager (ms/step)`, value: bestEager, unit: "ms" },
    { name: `typical CNN train step, batch ${BATCH}, nb.compile replay (ms/step)`, value: bestCompiled, unit: "ms" },
    { name: "compiled speed-up over eager (train step)", value: bestEager / bestCompiled, unit: "x" },
    { name: `typical CNN eval forward, batch ${BATCH}, eager (ms)`, value: bestForward, unit: "ms" },
    { name: `typical CNN eval forward, batch ${BATCH}, nb.compile replay (ms)`, value: bestCompiledForward, unit: "ms" },
    { name: "compiled speed-up over eager (eval forward)", value: bestForward / bestCompiledForward, unit: "x" },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`backend ${nb.getBackend()}`);
  for (const r of benchCompile()) console.log(`  ${r.name.padEnd(64)} ${r.value.toFixed(3).padStart(9)} ${r.unit}`);
}
