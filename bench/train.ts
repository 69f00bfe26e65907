// Training throughput (images/second) on MNIST-shaped batches: the course's typical CNN (batch 64,
// Adam) and LeNet-5 (batch 256, Adam), nabla next to PyTorch on the same cores in the same run.
// PyTorch runs with OPENBLAS_NUM_THREADS=1 (oneDNN convolutions on 2 threads), its best setting on
// this 2-core machine. Run: node --import tsx bench/train.ts

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { type BenchResult, runPython } from "./common.js";

interface Case {
  model: "typicalCnn" | "lenet5";
  batch: number;
  steps: number;
}

export const TRAIN_CASES: Case[] = [
  { model: "typicalCnn", batch: 64, steps: 40 },
  { model: "lenet5", batch: 256, steps: 12 },
];

/** Images per second over `steps` Adam steps on random MNIST-shaped data, after 3 warm-up steps. */
function nablaImagesPerSecond(c: Case): number {
  nb.manualSeed(0);
  const model = nb.models[c.model]();
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.rand([c.batch, 1, 28, 28]);
  const y = nb.randint(0, 10, [c.batch]);
  const step = () => nb.tidy(() => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < 3; i++) step();
  const t = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  return (c.steps * c.batch) / ((performance.now() - t) / 1000);
}

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
cases = json.loads(sys.argv[1])
class Typical(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(1, 8, 3); s.conv2 = nn.Conv2d(8, 16, 3)
        s.fc1 = nn.Linear(400, 64); s.drop = nn.Dropout(0.25); s.fc2 = nn.Linear(64, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2); x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc2(s.drop(F.relu(s.fc1(x.flatten(1)))))
def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
out = []
for c in cases:
    torch.manual_seed(0)
    m = Typical() if c["model"] == "typicalCnn" else lenet5()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.rand(c["batch"], 1, 28, 28); y = torch.randint(0, 10, (c["batch"],))
    def step():
        opt.zero_grad(); loss = F.cross_entropy(m(x), y); loss.backward(); opt.step(); return loss.item()
    for _ in range(3): step()
    best = 0
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(c["steps"]): step()
        best = max(best, c["steps"] * c["batch"] / (time.perf_counter() - t))
    out.append(best)
print(json.dumps(out))
`;

export async function benchTrain(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ours = new Map<string, number[]>();
  for (const backend of nb.backends()) {
    nb.setBackend(backend);
    ours.set(backend, TRAIN_CASES.map(nablaImagesPerSecond));
  }
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1" };
  const torch = runPython(TORCH_SCRIPT, [JSON.stringify(TRAIN_CASES)], env) as number[] | null;
  TRAIN_CASES.forEach((c, i) => {
    const label = `train ${c.model} batch ${c.batch} Adam`;
    if (torch) results.push({ name: `${label}, torch 2 threads (best of 3)`, value: torch[i], unit: "img/s" });
    for (const [backend, values] of ours) {
      results.push({ name: `${label}, nabla ${backend}`, value: values[i], unit: "img/s" });
      if (torch) results.push({ name: `${label}, nabla ${backend} / torch`, value: values[i] / torch[i], unit: "x" });
    }
  });
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchTrain()) console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
