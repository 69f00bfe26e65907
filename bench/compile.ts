// nb.compile against eager, training steps on MNIST-/CIFAR-shaped random data: the course's typical
// CNN (batch 64, Adam) and LeNet-5 (batch 256, Adam), fused as nb.fit trains them, and ResNet-18
// on 3×32×32 (batch 32, SGD momentum). "kernels" replays the step's captured kernel calls (the
// default), "ops" the traced op sequence with backward and optimizer.step run eagerly. Images per
// second and the backend buffers each step allocates. Eager and compiled runs alternate in one
// process (the machine is shared: all see the same load): warm-up, then the best of RUNS runs.
// Run: node --import tsx bench/compile.ts [typicalCnn|lenet5|resnet18 ...]

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { countAllocations } from "../src/graph/kernel-capture.js";
import { activeBackend } from "../src/backend/registry.js";
import type { BenchResult } from "./common.js";

type Which = "typicalCnn" | "lenet5" | "resnet18";
type Step = (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;

const CASES: Record<Which, { batch: number; input: number[]; steps: number; runs: number; warmup: number }> = {
  typicalCnn: { batch: 64, input: [1, 28, 28], steps: 40, runs: 7, warmup: 100 },
  lenet5: { batch: 256, input: [1, 28, 28], steps: 20, runs: 7, warmup: 40 },
  resnet18: { batch: 32, input: [3, 32, 32], steps: 3, runs: 3, warmup: 4 },
};

function setup(which: Which): Step {
  nb.manualSeed(0);
  const model = which === "resnet18" ? nb.models.resnet18({ numClasses: 10 }) : nb.nn.fuse(nb.models[which]());
  const opt = which === "resnet18" ? new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }) : new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  return (x, y) => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
    return loss;
  };
}

export function benchCompileModel(which: Which): BenchResult[] {
  const c = CASES[which];
  const x = nb.rand([c.batch, ...c.input]);
  const y = nb.randint(0, 10, [c.batch]);
  const variants: [string, Step][] = [
    ["eager", setup(which)],
    ["nb.compile (kernels)", nb.compile(setup(which))],
    ["nb.compile (ops)", nb.compile(setup(which), { replay: "ops" })],
  ];
  // One call's loss read on the host (as a training loop reads it), inside a tidy scope. Wall time,
  // and the process's CPU time (all threads), which other jobs on a shared machine disturb less.
  const run = (step: Step, n: number) => {
    const t = performance.now(), cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) nb.tidy(() => step(x, y).dataSync());
    const used = process.cpuUsage(cpu);
    return { wall: (performance.now() - t) / n, cpu: (used.user + used.system) / 1000 / n };
  };
  for (const [, step] of variants) run(step, c.warmup);
  const best = variants.map(() => Infinity), bestCpu = variants.map(() => Infinity);
  for (let r = 0; r < c.runs; r++) {
    variants.forEach(([, step], i) => {
      const m = run(step, c.steps);
      best[i] = Math.min(best[i], m.wall);
      bestCpu[i] = Math.min(bestCpu[i], m.cpu);
    });
  }
  const eagerAllocations = countAllocations(activeBackend(), () => nb.tidy(() => variants[0][1](x, y).dataSync())).allocations;
  const compiled = variants[1][1] as nb.CompiledFunction<[nb.Tensor, nb.Tensor], nb.Tensor>;
  if (compiled.stats.kernelReplays === 0) console.warn(`bench compile ${which}: no kernel replay (${compiled.plan?.kernelFallback ?? "no plan"})`);
  const k = compiled.plan?.kernels;
  const label = `${which}, batch ${c.batch}`;
  return [
    ...variants.map(([name], i) => ({ name: `${label}: ${name} (img/s)`, value: (c.batch * 1000) / best[i], unit: "img/s" })),
    { name: `${label}: kernels speed-up over eager`, value: best[0] / best[1], unit: "x" },
    ...variants.map(([name], i) => ({ name: `${label}: ${name} (CPU ms/step)`, value: bestCpu[i], unit: "ms" })),
    { name: `${label}: kernels CPU-time saving over eager`, value: bestCpu[0] / bestCpu[1], unit: "x" },
    { name: `${label}: eager buffer allocations per step`, value: eagerAllocations, unit: "" },
    { name: `${label}: compiled buffer allocations per step`, value: compiled.stats.allocationsLastCall, unit: "" },
    ...(k ? [
      { name: `${label}: plan kernel calls per step`, value: k.kernels, unit: "" },
      { name: `${label}: arena (MiB) / unplanned local buffers (MiB)`, value: k.arenaBytes / 2 ** 20, unit: `/ ${(k.naiveBytes / 2 ** 20).toFixed(2)} MiB in ${k.slots} slots for ${k.buffers.local} buffers` },
    ] : []),
  ];
}

/** The quick part for `npm run bench`: the typical CNN only. */
export function benchCompile(): BenchResult[] {
  return benchCompileModel("typicalCnn");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`backend ${nb.getBackend()}`);
  const which = (process.argv.length > 2 ? process.argv.slice(2) : ["typicalCnn", "lenet5", "resnet18"]) as Which[];
  for (const w of which) {
    for (const r of benchCompileModel(w)) console.log(`  ${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
  }
}
