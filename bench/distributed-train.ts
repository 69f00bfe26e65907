// Data-parallel training throughput (issue 22's benchmark, training half): the same global batch
// trained by 2 processes × 1 thread (DistributedDataParallel over Gloo on loopback, each rank half
// the batch, NABLA_NUM_THREADS=1) and by 1 process × 2 threads (NABLA_NUM_THREADS=2), on the
// typical CNN (MNIST-shaped, global batch 128, Adam) and ResNet-18 (3×32×32, global batch 32, SGD
// with momentum). The 2-process run goes twice: gradient buckets all-reduced during backward as they
// become ready (overlap, the default) and all after backward (overlap: false).
// Each configuration: warm-up steps, then the best of 3 runs of `steps` timed steps (a barrier
// before each run); images/second of the global batch, and for DDP the mean time per step spent
// waiting in syncGradients() after backward.
// Run: node --import tsx bench/distributed-train.ts [typicalCnn|resnet18 ...]
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nb from "../src/index.js";
import { runCommand } from "../src/cli/run-command.js";

interface Case {
  model: "typicalCnn" | "resnet18";
  globalBatch: number;
  warmup: number;
  steps: number;
  input: [number, number, number];
}

const CASES: Record<Case["model"], Case> = {
  typicalCnn: { model: "typicalCnn", globalBatch: 128, warmup: 30, steps: 20, input: [1, 28, 28] },
  resnet18: { model: "resnet18", globalBatch: 32, warmup: 3, steps: 4, input: [3, 32, 32] },
};
const RUNS = 3;
const self = fileURLToPath(import.meta.url);

interface Result { imagesPerSecond: number; syncWaitMs: number }

/** One configuration in this process (a rank, or the single process). */
async function measure(c: Case, mode: "single" | "ddp" | "ddp-after-backward"): Promise<Result> {
  const distributed = mode !== "single";
  if (distributed) await nb.distributed.initProcessGroup({ backend: "gloo" });
  const world = distributed ? nb.distributed.getWorldSize() : 1;
  const rank = distributed ? nb.distributed.getRank() : 0;
  nb.manualSeed(0);
  const base = nb.nn.fuse(c.model === "resnet18" ? nb.models.resnet18({ numClasses: 10 }) : nb.models.typicalCnn());
  const ddp = distributed ? await nb.nn.parallel.DistributedDataParallel.create(base, { overlap: mode === "ddp" }) : null;
  const model = ddp ?? base;
  const opt = c.model === "resnet18"
    ? new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })
    : new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const batch = c.globalBatch / world;
  nb.manualSeed(1 + rank);
  const x = nb.rand([batch, ...c.input]);
  const y = nb.randint(0, 10, [batch]);
  let syncWait = 0;
  const step = async () => {
    nb.tidy(() => {
      opt.zeroGrad();
      nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y).backward();
    });
    if (ddp) {
      const t = performance.now();
      await ddp.syncGradients();
      syncWait += performance.now() - t;
    }
    opt.step();
  };
  for (let i = 0; i < c.warmup; i++) await step();
  let best = 0;
  let bestWait = 0;
  for (let r = 0; r < RUNS; r++) {
    if (distributed) await nb.distributed.barrier();
    syncWait = 0;
    const t = performance.now();
    for (let i = 0; i < c.steps; i++) await step();
    const seconds = (performance.now() - t) / 1000;
    const ips = (c.globalBatch * c.steps) / seconds;
    if (ips > best) {
      best = ips;
      bestWait = syncWait / c.steps;
    }
  }
  if (distributed) await nb.distributed.destroyProcessGroup();
  return { imagesPerSecond: best, syncWaitMs: bestWait };
}

/** Runs this file as a worker with `threads` native threads: nproc ranks, or one plain process. */
async function runWorker(c: Case, mode: "single" | "ddp" | "ddp-after-backward", threads: number): Promise<Result> {
  const env = { ...process.env, NABLA_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: "1" };
  let output = "";
  if (mode === "single") {
    const child = spawn(process.execPath, ["--import", "tsx", self, "--worker", c.model, mode], { env, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`the single-process run of ${c.model} exited with ${code}`);
  } else {
    const saved = process.env.NABLA_NUM_THREADS;
    process.env.NABLA_NUM_THREADS = String(threads);
    try {
      await runCommand({ nproc: 2, script: self, args: ["--worker", c.model, mode], stdio: "pipe", onSpawn: (rank, child) => {
        if (rank === 0) child.stdout?.on("data", (d) => (output += d));
        child.stderr?.pipe(process.stderr);
      } });
    } finally {
      if (saved === undefined) delete process.env.NABLA_NUM_THREADS;
      else process.env.NABLA_NUM_THREADS = saved;
    }
  }
  const line = output.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no result from the ${mode} run of ${c.model}:\n${output}`);
  return JSON.parse(line) as Result;
}

if (process.argv[2] === "--worker") {
  const c = CASES[process.argv[3] as Case["model"]];
  const result = await measure(c, process.argv[4] as "single" | "ddp" | "ddp-after-backward");
  if (!process.env.RANK || process.env.RANK === "0") console.log(JSON.stringify(result));
} else {
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CASES);
  for (const name of names) {
    const c = CASES[name as Case["model"]];
    if (!c) throw new Error(`distributed-train bench: unknown model ${name}; choose from ${Object.keys(CASES).join(", ")}`);
    const single = await runWorker(c, "single", 2);
    const overlapped = await runWorker(c, "ddp", 1);
    const after = await runWorker(c, "ddp-after-backward", 1);
    const f = (r: Result) => `${r.imagesPerSecond.toFixed(1)} img/s`;
    console.log(`${c.model} (global batch ${c.globalBatch}): 1 process × 2 threads ${f(single)}; ` +
      `2 processes × 1 thread ${f(overlapped)} (overlap; ${overlapped.syncWaitMs.toFixed(1)} ms/step waiting after backward), ` +
      `${f(after)} (all-reduce after backward; ${after.syncWaitMs.toFixed(1)} ms/step waiting)`);
  }
}
