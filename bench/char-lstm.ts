// Training throughput of a character-level language model (steps/second): Embedding(65, 64) →
// LSTM(64, 128) → Linear(128, 65), batch 32, sequence 64, cross-entropy over every position, Adam
// (issue 15's benchmark). nabla on the native backend (the LSTM runs the fused recurrentForward /
// recurrentBackward kernels) next to PyTorch on the same cores in the same run, and nabla's cpu
// backend (the composite step-by-step ops) for reference.
//
// Method as bench/train.ts: warm-up steps, then the best of several timed runs (steps/s = steps
// in a run / its time). nabla native: 3·10 warm-up steps, best of 5 runs of 10. PyTorch needs
// 0.5–2 s a step here, so it runs 2·3 warm-up steps and the best of 3 runs of 3 (its warm-up is
// the allocator's: nothing to compile), twice: torch.set_num_threads(2) — the reference — and 1
// thread, since on a busy 2-core machine its OpenMP threads can lose more than they gain; the
// ratio is taken against the faster of the two. nabla's cpu backend needs ~1 s a step: 1 warm-up
// step, best of 2 single steps.
// Run: node --import tsx bench/char-lstm.ts

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { type BenchResult, runPython } from "./common.js";

const VOCAB = 65, EMBED = 64, HIDDEN = 128, BATCH = 32, SEQ = 64;
const STEPS = 10, WARMUP_RUNS = 3, TIMED_RUNS = 5;
const TORCH_STEPS = 3, TORCH_WARMUP_RUNS = 2, TORCH_TIMED_RUNS = 3;

/** Steps per second of the model on the current backend: `warmupRuns`·steps untimed, then the best of `runs` runs. */
function nablaStepsPerSecond(steps: number, warmupRuns: number, runs: number): number {
  nb.manualSeed(0);
  const emb = new nb.nn.Embedding(VOCAB, EMBED);
  const lstm = new nb.nn.LSTM(EMBED, HIDDEN);
  const fc = new nb.nn.Linear(HIDDEN, VOCAB);
  const opt = new nb.optim.Adam([...emb.parameters(), ...lstm.parameters(), ...fc.parameters()], { lr: 1e-3 });
  // [T, N] token ids (the sequence-first layout, torch's default), targets the same shape.
  const x = nb.randint(0, VOCAB, [SEQ, BATCH]);
  const y = nb.randint(0, VOCAB, [SEQ * BATCH]);
  const step = () => nb.tidy(() => {
    opt.zeroGrad();
    const [out] = lstm.forward(emb.forward(x));
    const logits = fc.forward(out).reshape([SEQ * BATCH, VOCAB]);
    const loss = nb.nn.functional.crossEntropy(logits, y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < warmupRuns * steps; i++) step();
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < steps; i++) step();
    best = Math.max(best, steps / ((performance.now() - t) / 1000));
  }
  return best;
}

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
VOCAB, EMBED, HIDDEN, BATCH, SEQ = ${VOCAB}, ${EMBED}, ${HIDDEN}, ${BATCH}, ${SEQ}
STEPS, WARMUP_RUNS, TIMED_RUNS = ${TORCH_STEPS}, ${TORCH_WARMUP_RUNS}, ${TORCH_TIMED_RUNS}
torch.manual_seed(0)
emb = nn.Embedding(VOCAB, EMBED); lstm = nn.LSTM(EMBED, HIDDEN); fc = nn.Linear(HIDDEN, VOCAB)
opt = torch.optim.Adam(list(emb.parameters()) + list(lstm.parameters()) + list(fc.parameters()), lr=1e-3)
x = torch.randint(0, VOCAB, (SEQ, BATCH)); y = torch.randint(0, VOCAB, (SEQ * BATCH,))
def step():
    opt.zero_grad()
    out, _ = lstm(emb(x))
    loss = F.cross_entropy(fc(out).reshape(SEQ * BATCH, VOCAB), y)
    loss.backward(); opt.step(); return loss.item()
for _ in range(WARMUP_RUNS * STEPS): step()
best = 0
for _ in range(TIMED_RUNS):
    t = time.perf_counter()
    for _ in range(STEPS): step()
    best = max(best, STEPS / (time.perf_counter() - t))
print(json.dumps([best, torch.__version__]))
`;

/** PyTorch's steps/s on `threads` threads and its version; null without torch. */
function torchStepsPerSecond(threads: number): { value: number; version: string } | null {
  const r = runPython(TORCH_SCRIPT, [String(threads)]) as [number, string] | null;
  return r ? { value: r[0], version: r[1] } : null;
}

export async function benchCharLstm(): Promise<BenchResult[]> {
  const label = `char-LSTM train step: Embedding(${VOCAB},${EMBED}) → LSTM(${EMBED},${HIDDEN}) → Linear(${HIDDEN},${VOCAB}), batch ${BATCH}, seq ${SEQ}, Adam`;
  const before = nb.getBackend();
  const ours = new Map<string, number>();
  try {
    for (const backend of nb.backends()) {
      nb.setBackend(backend);
      ours.set(backend, backend === "cpu" ? nablaStepsPerSecond(1, 1, 2) : nablaStepsPerSecond(STEPS, WARMUP_RUNS, TIMED_RUNS));
    }
  } finally {
    nb.setBackend(before);
  }
  const torch2 = torchStepsPerSecond(2), torch1 = torchStepsPerSecond(1);
  const results: BenchResult[] = [];
  for (const [threads, t] of [[2, torch2], [1, torch1]] as const) {
    if (t) results.push({ name: `${label}, torch ${t.version} ${threads} thread${threads > 1 ? "s" : ""}`, value: t.value, unit: "steps/s" });
  }
  const torchBest = Math.max(torch2?.value ?? 0, torch1?.value ?? 0);
  for (const [backend, value] of ours) {
    results.push({ name: `${label}, nabla ${backend}`, value, unit: "steps/s" });
    if (torch2 && backend !== "cpu") results.push({ name: `${label}, nabla ${backend} / torch 2 threads`, value: value / torch2.value, unit: "x" });
    if (torchBest > 0 && backend !== "cpu") results.push({ name: `${label}, nabla ${backend} / torch's faster setting`, value: value / torchBest, unit: "x" });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchCharLstm()) console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
