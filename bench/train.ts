// Training throughput (images/second): the course's typical CNN (MNIST-shaped, batch 64, Adam),
// LeNet-5 (batch 256, Adam) and ResNet-18 in torchvision's layout on CIFAR-shaped 3×32×32 inputs
// (batch 32, SGD with momentum 0.9, 10 classes: the wide-layer workload where GEMM and im2col
// dominate), nabla next to PyTorch on the same cores in the same run. PyTorch runs with
// OPENBLAS_NUM_THREADS=1 (oneDNN convolutions on 2 threads), its best setting on this 2-core
// machine. Both sides: 3·`steps` warm-up steps (V8 needs a few hundred steps of the typical CNN
// before its optimising compiler has reached the step's code: the first 40-step windows ran
// 11–13k img/s, later ones 14–17k; PyTorch warms its allocator and oneDNN primitive cache), then
// the best of 5 runs of `steps` timed steps.
// Run: node --import tsx bench/train.ts [typicalCnn|lenet5|resnet18 ...]

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { type BenchResult, runPython } from "./common.js";

/** Warm-up length in timed runs' worth of steps, and how many timed runs give the best; the same on both sides. */
const WARMUP_RUNS = 3;
const TIMED_RUNS = 5;

interface Case {
  model: "typicalCnn" | "lenet5" | "resnet18";
  batch: number;
  steps: number;
  /** One image's shape. */
  input: [number, number, number];
  optimizer: "adam" | "sgd-momentum";
}

export const TRAIN_CASES: Case[] = [
  { model: "typicalCnn", batch: 64, steps: 40, input: [1, 28, 28], optimizer: "adam" },
  { model: "lenet5", batch: 256, steps: 12, input: [1, 28, 28], optimizer: "adam" },
  { model: "resnet18", batch: 32, steps: 6, input: [3, 32, 32], optimizer: "sgd-momentum" },
];

/** The model as nb.fit trains it: fused (conv → relu → pool blocks as one op). */
function makeModel(c: Case): nb.nn.Module {
  return nb.nn.fuse(c.model === "resnet18" ? nb.models.resnet18({ numClasses: 10 }) : nb.models[c.model]());
}

/**
 * Images per second over `steps` training steps on random data after 3·steps warm-up steps, best of 5 runs (as PyTorch's).
 * `compiled`: the step (forward, backward, optimizer) runs through nb.compile, replayed as a kernel plan.
 */
function nablaImagesPerSecond(c: Case, compiled = false): number {
  nb.manualSeed(0);
  const model = makeModel(c);
  const opt = c.optimizer === "adam"
    ? new nb.optim.Adam(model.parameters(), { lr: 1e-3 })
    : new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = nb.rand([c.batch, ...c.input]);
  const y = nb.randint(0, 10, [c.batch]);
  const trainStep = (xs: nb.Tensor, ys: nb.Tensor) => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(xs) as nb.Tensor, ys);
    loss.backward();
    opt.step();
    return loss;
  };
  const run = compiled ? nb.compile(trainStep) : trainStep;
  // The loss read on the host every step, as a training loop reads it.
  const step = () => nb.tidy(() => run(x, y).item());
  for (let i = 0; i < WARMUP_RUNS * c.steps; i++) step();
  let best = 0;
  for (let r = 0; r < TIMED_RUNS; r++) {
    const t = performance.now();
    for (let i = 0; i < c.steps; i++) step();
    best = Math.max(best, (c.steps * c.batch) / ((performance.now() - t) / 1000));
  }
  return best;
}

/** The course's typical CNN in PyTorch (`nn`, `F` imported), as nb.models.typicalCnn builds it. */
export const TORCH_TYPICAL_CNN = String.raw`
class Typical(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 8, 3); s.conv2 = nn.Conv2d(8, 16, 3)
        s.fc1 = nn.Linear(400, 64); s.drop = nn.Dropout(0.25); s.fc2 = nn.Linear(64, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2); x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc2(s.drop(F.relu(s.fc1(x.flatten(1)))))
`;

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F, torchvision
torch.set_num_threads(2)
cases = json.loads(sys.argv[1])
WARMUP_RUNS, TIMED_RUNS = ${WARMUP_RUNS}, ${TIMED_RUNS}
${TORCH_TYPICAL_CNN}
def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
out = []
for c in cases:
    torch.manual_seed(0)
    m = Typical() if c["model"] == "typicalCnn" else lenet5() if c["model"] == "lenet5" else torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3) if c["optimizer"] == "adam" else torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(c["batch"], *c["input"]); y = torch.randint(0, 10, (c["batch"],))
    def step():
        opt.zero_grad(); loss = F.cross_entropy(m(x), y); loss.backward(); opt.step(); return loss.item()
    for _ in range(WARMUP_RUNS * c["steps"]): step()
    best = 0
    for _ in range(TIMED_RUNS):
        t = time.perf_counter()
        for _ in range(c["steps"]): step()
        best = max(best, c["steps"] * c["batch"] / (time.perf_counter() - t))
    out.append(best)
print(json.dumps(out))
`;

export async function benchTrain(only?: readonly string[]): Promise<BenchResult[]> {
  const cases = only && only.length > 0 ? TRAIN_CASES.filter((c) => only.includes(c.model)) : TRAIN_CASES;
  const results: BenchResult[] = [];
  const ours = new Map<string, number[]>();
  for (const backend of nb.backends()) {
    nb.setBackend(backend);
    // ResNet-18 on the pure-TypeScript backend takes minutes per step: left out.
    ours.set(backend, cases.map((c) => (backend === "cpu" && c.model === "resnet18" ? NaN : nablaImagesPerSecond(c))));
    if (backend === "native") ours.set("native compiled", cases.map((c) => nablaImagesPerSecond(c, true)));
  }
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1" };
  const torch = runPython(TORCH_SCRIPT, [JSON.stringify(cases)], env) as number[] | null;
  cases.forEach((c, i) => {
    const label = `train ${c.model} ${c.input.join("x")} batch ${c.batch} ${c.optimizer === "adam" ? "Adam" : "SGD momentum"}`;
    if (torch) results.push({ name: `${label}, torch 2 threads (best of ${TIMED_RUNS})`, value: torch[i], unit: "img/s" });
    for (const [backend, values] of ours) {
      if (Number.isNaN(values[i])) continue;
      results.push({ name: `${label}, nabla ${backend}`, value: values[i], unit: "img/s" });
      if (torch) results.push({ name: `${label}, nabla ${backend} / torch`, value: values[i] / torch[i], unit: "x" });
    }
  });
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchTrain(process.argv.slice(2))) console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
