// conv2d forward + backward time of the cpu backend on the MNIST CNN's first layer (input
// [64, 1, 28, 28], 8 filters 3x3) and, for context, its second layer ([64, 8, 13, 13], 16 filters),
// with PyTorch measured in the same run for comparison when a Python with torch is available.
// Run: node --import tsx bench/conv.ts

import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { type BenchResult, medianMs, runPython } from "./common.js";


interface Layer {
  label: string;
  input: number[];
  weight: number[];
}

export const CONV_LAYERS: Layer[] = [
  { label: "conv2d [64,1,28,28] * 8x1x3x3", input: [64, 1, 28, 28], weight: [8, 1, 3, 3] },
  { label: "conv2d [64,8,13,13] * 16x8x3x3", input: [64, 8, 13, 13], weight: [16, 8, 3, 3] },
];

/** Forward; forward + backward to weight and bias (a first layer: the input needs no gradient); and with the input gradient too. */
function nablaTimes(layer: Layer): [number, number, number] {
  const x = nb.randn(layer.input, { device: "cpu" });
  const xg = x.detach().requiresGrad_();
  const w = nb.randn(layer.weight, { device: "cpu" }).mul(0.1).detach().requiresGrad_();
  const b = nb.zeros([layer.weight[0]], { device: "cpu" }).requiresGrad_();
  const step = (input: nb.Tensor) => () => nb.tidy(() => {
    nb.conv2d(input, w, b).sum().backward();
    w.zeroGrad();
    b.zeroGrad();
    input.zeroGrad();
  });
  const fwd = medianMs(() => nb.tidy(() => nb.noGrad(() => void nb.conv2d(x, w, b))), 3, 15);
  const fwdBwd = medianMs(step(x), 3, 15);
  const fwdBwdInput = medianMs(step(xg), 3, 15);
  for (const t of [x, xg, w, b]) t.dispose();
  return [fwd, fwdBwd, fwdBwdInput];
}

const TORCH_SCRIPT = `
import json, sys, time
import torch
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
layers = json.loads(sys.argv[2])
def median_ms(f, warmup=3, reps=15):
    for _ in range(warmup): f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[reps // 2]
out = []
for l in layers:
    x = torch.randn(*l["input"]); xg = x.clone().requires_grad_()
    w = (torch.randn(*l["weight"]) * 0.1).requires_grad_(); b = torch.zeros(l["weight"][0], requires_grad=True)
    def fwd():
        with torch.no_grad(): F.conv2d(x, w, b)
    def step(inp):
        def f():
            F.conv2d(inp, w, b).sum().backward(); w.grad = None; b.grad = None; inp.grad = None
        return f
    out.append([median_ms(fwd), median_ms(step(x)), median_ms(step(xg))])
print(json.dumps(out))
`;

/** PyTorch's times per layer with the given thread count, or null when torch is not available. */
function torchTimes(threads: number): [number, number, number][] | null {
  return runPython(TORCH_SCRIPT, [String(threads), JSON.stringify(CONV_LAYERS)], process.env, 300_000) as [number, number, number][] | null;
}

const KINDS = ["forward", "forward+backward (weight, bias)", "forward+backward (input, weight, bias)"];

/**
 * Milliseconds per iteration (median of 15 after 3 warm-ups) of conv2d on the cpu backend for
 * the MNIST CNN's convolutions, then PyTorch's (1 thread, and 2 threads) for the same work.
 */
export async function benchConv(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const layer of CONV_LAYERS) {
    for (const backend of nb.backends()) {
      nb.setBackend(backend);
      nablaTimes(layer).forEach((ms, i) => results.push({ name: `${layer.label} ${KINDS[i]}, nabla ${backend} (median)`, value: ms, unit: "ms" }));
    }
  }
  for (const threads of [1, 2]) {
    const t = torchTimes(threads);
    if (!t) break;
    CONV_LAYERS.forEach((layer, l) => t[l].forEach((ms, i) =>
      results.push({ name: `${layer.label} ${KINDS[i]}, torch ${threads} thread${threads > 1 ? "s" : ""} (median)`, value: ms, unit: "ms" })));
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchConv()) console.log(`${r.name.padEnd(92)} ${r.value.toFixed(2).padStart(8)} ${r.unit}`);
}
