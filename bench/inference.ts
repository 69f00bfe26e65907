// ResNet inference at 224x224 (issue 21): nabla native in plain eval mode and folded
// (nb.nn.optimizeForInference: batch norm folded into the convolutions) against onnxruntime-node
// (CPU execution provider) running the torch-exported ONNX of the same weights, and PyTorch
// itself — all with the same number of threads (default 2). ms per forward, median of N after
// warm-up; ratios above 1 mean nabla (folded) is faster.
//
//   node --import tsx bench/inference.ts [--models resnet18,resnet50] [--batches 1,16]
//        [--threads 2] [--warmup 2] [--reps N] [--dir /tmp/nabla-inference-bench] [--no-torch]
//
// With python3-torch and torchvision present, scripts/bench-inference-torch.py writes seeded
// torchvision weights (non-trivial batch norm statistics) as .pth and torch.onnx.export ONNX to
// --dir, and times PyTorch on request. Without them the ORT column runs nabla's own
// nb.io.exportOnnx of a seeded model and the PyTorch column is skipped. The four alternate in
// rounds, so that a burst of load from other tenants falls on all of them. Slow (minutes):
// `npm run bench:inference`.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as nb from "../src/index.js";
import { nativeInfo, setNativeThreads } from "../src/backend/native/index.js";
import { timesMs } from "./common.js";

const MODELS = { resnet18: nb.models.resnet18, resnet50: nb.models.resnet50 } as const;
type ModelName = keyof typeof MODELS;
const TORCH_SCRIPT = new URL("../scripts/bench-inference-torch.py", import.meta.url).pathname;

interface Args {
  models: ModelName[];
  batches: number[];
  threads: number;
  warmup: number;
  reps: number | null;
  dir: string;
  /** Leave PyTorch out (also what happens without Python): ORT runs nabla's own ONNX export. */
  noTorch: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { models: ["resnet18", "resnet50"], batches: [1, 16], threads: 2, warmup: 2, reps: null, dir: "/tmp/nabla-inference-bench", noTorch: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--no-torch") {
      args.noTorch = true;
      i--;
      continue;
    }
    if (value === undefined) throw new Error(`bench/inference: ${flag} needs a value`);
    if (flag === "--models") {
      args.models = value.split(",").map((m) => {
        if (!(m in MODELS)) throw new Error(`bench/inference: unknown model "${m}"; the models are ${Object.keys(MODELS).join(", ")}`);
        return m as ModelName;
      });
    } else if (flag === "--batches") args.batches = value.split(",").map(Number);
    else if (flag === "--threads") args.threads = Number(value);
    else if (flag === "--warmup") args.warmup = Number(value);
    else if (flag === "--reps") args.reps = Number(value);
    else if (flag === "--dir") args.dir = value;
    else throw new Error(`bench/inference: unknown flag ${flag}; the flags are --models --batches --threads --warmup --reps --dir --no-torch`);
  }
  return args;
}

/** Timed forwards per batch size: enough for a median at batch 1, fewer where one forward takes seconds. */
const repsFor = (args: Args, batch: number): number => args.reps ?? (batch >= 8 ? 5 : 15);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const PYTHON_ENV = { ...process.env, OPENBLAS_NUM_THREADS: "1" };

/** The export step on Debian's python3-torch; null (with the reason on stderr) when it cannot run. */
function exportWithTorch(dir: string, models: string[]): { torch: string; torchvision: string } | null {
  const r = spawnSync("/usr/bin/python3", [TORCH_SCRIPT, "export", dir, ...models], { encoding: "utf8", env: PYTHON_ENV, timeout: 1_800_000 });
  if (r.status !== 0) {
    console.error(`bench/inference: no PyTorch column (${TORCH_SCRIPT} export: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-2).join(" | ")})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/** PyTorch in a process of its own that times forwards when asked (the script's serve mode). */
class TorchTimer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];

  constructor(dir: string, threads: number) {
    this.proc = spawn("/usr/bin/python3", [TORCH_SCRIPT, "serve", dir, String(threads)], { env: PYTHON_ENV });
    this.proc.stderr.pipe(process.stderr);
    createInterface({ input: this.proc.stdout }).on("line", (line) => this.pending.shift()?.resolve(line));
    this.proc.on("exit", (code) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`bench/inference: the PyTorch process exited (${code})`));
    });
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  async ready(): Promise<void> {
    await this.next();
  }

  async time(model: string, batch: number, warmup: number, reps: number): Promise<number[]> {
    const answer = this.next();
    this.proc.stdin.write(`${JSON.stringify({ model, batch, warmup, reps })}\n`);
    return (JSON.parse(await answer) as { ms: number[] }).ms;
  }

  close(): void {
    this.proc.stdin.end();
  }
}

function cpuDescription(): string {
  const flags = existsSync("/proc/cpuinfo") ? (readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:\s*(.*)$/m)?.[1] ?? "").split(" ") : [];
  const wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile"];
  const info = nativeInfo();
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} logical CPUs, flags: ${wanted.filter((f) => flags.includes(f)).join(" ") || "none of interest"}; ` +
    `nabla native GEMM kernel ${info?.gemmKernel ?? "n/a"}`;
}

/** Non-trivial batch norm statistics, as the torch script sets them (used only when Python is absent). */
function randomizeBatchNorms(model: nb.nn.Module): void {
  nb.noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof nb.nn.BatchNorm2d)) continue;
      const c = m.numFeatures;
      m.running_mean!.copy_(nb.randn([c]).mul(0.1));
      m.running_var!.copy_(nb.rand([c]).mul(0.5).add(0.75));
      m.weight!.copy_(nb.rand([c]).mul(0.5).add(0.75));
      m.bias!.copy_(nb.randn([c]).mul(0.1));
    }
  });
}

interface Row {
  model: ModelName;
  batch: number;
  plain: number;
  folded: number;
  ort: number;
  torch: number | null;
  /** max |nabla − ORT| / max |ORT| on the same input. */
  agreement: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!nativeInfo()) throw new Error(`bench/inference: the native backend is unavailable (${nb.backendUnavailableReason("native")})`);
  setNativeThreads(args.threads);
  mkdirSync(args.dir, { recursive: true });
  const exported = args.noTorch ? null : exportWithTorch(args.dir, args.models);
  const torch = exported ? new TorchTimer(args.dir, args.threads) : null;
  await torch?.ready();
  console.log(`ResNet inference, 224x224, ${args.threads} threads everywhere — ${cpuDescription()}`);
  console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? "?"} (CPU EP, intraOpNumThreads ${args.threads}), ` +
    (exported ? `PyTorch ${exported.torch} / torchvision ${exported.torchvision} (set_num_threads(${args.threads}), inference_mode)` : "PyTorch absent: ORT runs nabla's own ONNX export") +
    `; median of N forwards after ${args.warmup} warm-up${args.warmup === 1 ? "" : "s"}, the four alternating in 3 rounds`);
  const rows: Row[] = [];
  for (const [i, name] of args.models.entries()) {
    const model = MODELS[name]({ initWeights: exported === null });
    const onnxPath = join(args.dir, exported ? `${name}.onnx` : `${name}.nabla.onnx`);
    if (exported) {
      model.loadStateDict(await nb.load(join(args.dir, `${name}.pth`)));
    } else {
      nb.manualSeed(i);
      randomizeBatchNorms(model);
      model.eval();
      await nb.io.exportOnnx(model, [1, 3, 224, 224], onnxPath);
    }
    model.eval();
    const folded = nb.nn.optimizeForInference(model);
    const session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ["cpu"], intraOpNumThreads: args.threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all",
    });
    const inputName = session.inputNames[0];
    for (const batch of args.batches) {
      const x = nb.randn([batch, 3, 224, 224]);
      const feeds = { [inputName]: new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape) };
      const reps = repsFor(args, batch);
      const runNabla = (m: nb.nn.Module) => () => void nb.noGrad(() => (m.forward(x) as nb.Tensor).dataSync());
      const times = { plain: [] as number[], folded: [] as number[], ort: [] as number[], torch: [] as number[] };
      const rounds = Math.min(reps, 3);
      for (let r = 0; r < rounds; r++) {
        const n = Math.ceil(reps / rounds);
        const warm = r === 0 ? args.warmup : 0;
        times.plain.push(...timesMs(runNabla(model), warm, n));
        times.folded.push(...timesMs(runNabla(folded), warm, n));
        for (let w = 0; w < warm; w++) await session.run(feeds);
        for (let k = 0; k < n; k++) {
          const t = performance.now();
          await session.run(feeds);
          times.ort.push(performance.now() - t);
        }
        if (torch) times.torch.push(...(await torch.time(name, batch, warm, n)));
      }
      const ours = nb.noGrad(() => folded.forward(x) as nb.Tensor).dataSync();
      const theirs = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
      let diff = 0, scale = 0;
      for (let k = 0; k < theirs.length; k++) {
        diff = Math.max(diff, Math.abs(ours[k] - theirs[k]));
        scale = Math.max(scale, Math.abs(theirs[k]));
      }
      rows.push({
        model: name, batch, plain: median(times.plain), folded: median(times.folded), ort: median(times.ort),
        torch: torch ? median(times.torch) : null, agreement: diff / scale,
      });
      console.error(`  ${name} batch ${batch}: done (${times.plain.length} forwards each)`);
    }
    await session.release();
  }
  torch?.close();
  console.log("");
  console.log("| ms per forward | nabla eval | nabla folded | onnxruntime-node | PyTorch | folded vs eval | ORT / nabla folded | PyTorch / nabla folded | max rel. diff vs ORT |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const label = `${r.model === "resnet18" ? "ResNet-18" : "ResNet-50"}, batch ${r.batch}`;
    const torch = r.torch === null ? "—" : r.torch.toFixed(1);
    const torchRatio = r.torch === null ? "—" : `${(r.torch / r.folded).toFixed(2)}x`;
    console.log(`| ${label} | ${r.plain.toFixed(1)} | ${r.folded.toFixed(1)} | ${r.ort.toFixed(1)} | ${torch} | ${(r.plain / r.folded).toFixed(2)}x | ` +
      `${(r.ort / r.folded).toFixed(2)}x | ${torchRatio} | ${r.agreement.toExponential(1)} |`);
  }
}

await main();
