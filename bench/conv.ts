// conv2d forward + backward time of the cpu backend on the MNIST CNN's first layer (input
// [64, 1, 28, 28], 8 filters 3x3) and, for context, its second layer ([64, 8, 13, 13], 16 filters),
// with PyTorch measured in the same run for comparison when a Python with torch is available.
// Run: node --import tsx bench/conv.ts
// With --resnet: the forward of every distinct ResNet-18/50 convolution shape at 224x224 (batch 1
// and 16) on the default backend, each model's convolutions summed, and both whole models'
// batch-1 forward (slow: run on its own, not part of `npm run bench`).

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

/** A ResNet convolution at 224x224 input: input [C, H, W] per image, weight, stride, padding. */
interface ResNetConv {
  label: string;
  input: [number, number, number];
  weight: [number, number, number, number];
  stride: number;
  padding: number;
}

const rc = (label: string, input: [number, number, number], weight: [number, number, number, number], stride = 1, padding = 0): ResNetConv =>
  ({ label, input, weight, stride, padding });

/** The distinct convolution shapes of ResNet-18 and ResNet-50 (torchvision, 224x224), with how often each occurs per model. */
export const RESNET_CONVS: { conv: ResNetConv; resnet18: number; resnet50: number }[] = [
  { conv: rc("stem 7x7/2 3→64 @224", [3, 224, 224], [64, 3, 7, 7], 2, 3), resnet18: 1, resnet50: 1 },
  { conv: rc("3x3 64→64 @56", [64, 56, 56], [64, 64, 3, 3], 1, 1), resnet18: 4, resnet50: 3 },
  { conv: rc("3x3/2 64→128 @56", [64, 56, 56], [128, 64, 3, 3], 2, 1), resnet18: 1, resnet50: 0 },
  { conv: rc("1x1/2 64→128 @56", [64, 56, 56], [128, 64, 1, 1], 2), resnet18: 1, resnet50: 0 },
  { conv: rc("3x3 128→128 @28", [128, 28, 28], [128, 128, 3, 3], 1, 1), resnet18: 3, resnet50: 3 },
  { conv: rc("3x3/2 128→256 @28", [128, 28, 28], [256, 128, 3, 3], 2, 1), resnet18: 1, resnet50: 0 },
  { conv: rc("1x1/2 128→256 @28", [128, 28, 28], [256, 128, 1, 1], 2), resnet18: 1, resnet50: 0 },
  { conv: rc("3x3 256→256 @14", [256, 14, 14], [256, 256, 3, 3], 1, 1), resnet18: 3, resnet50: 5 },
  { conv: rc("3x3/2 256→512 @14", [256, 14, 14], [512, 256, 3, 3], 2, 1), resnet18: 1, resnet50: 0 },
  { conv: rc("1x1/2 256→512 @14", [256, 14, 14], [512, 256, 1, 1], 2), resnet18: 1, resnet50: 0 },
  { conv: rc("3x3 512→512 @7", [512, 7, 7], [512, 512, 3, 3], 1, 1), resnet18: 3, resnet50: 2 },
  { conv: rc("1x1 64→64 @56", [64, 56, 56], [64, 64, 1, 1]), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1 64→256 @56", [64, 56, 56], [256, 64, 1, 1]), resnet18: 0, resnet50: 4 },
  { conv: rc("1x1 256→64 @56", [256, 56, 56], [64, 256, 1, 1]), resnet18: 0, resnet50: 2 },
  { conv: rc("1x1 256→128 @56", [256, 56, 56], [128, 256, 1, 1]), resnet18: 0, resnet50: 1 },
  { conv: rc("3x3/2 128→128 @56", [128, 56, 56], [128, 128, 3, 3], 2, 1), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1/2 256→512 @56", [256, 56, 56], [512, 256, 1, 1], 2), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1 128→512 @28", [128, 28, 28], [512, 128, 1, 1]), resnet18: 0, resnet50: 4 },
  { conv: rc("1x1 512→128 @28", [512, 28, 28], [128, 512, 1, 1]), resnet18: 0, resnet50: 3 },
  { conv: rc("1x1 512→256 @28", [512, 28, 28], [256, 512, 1, 1]), resnet18: 0, resnet50: 1 },
  { conv: rc("3x3/2 256→256 @28", [256, 28, 28], [256, 256, 3, 3], 2, 1), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1/2 512→1024 @28", [512, 28, 28], [1024, 512, 1, 1], 2), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1 256→1024 @14", [256, 14, 14], [1024, 256, 1, 1]), resnet18: 0, resnet50: 6 },
  { conv: rc("1x1 1024→256 @14", [1024, 14, 14], [256, 1024, 1, 1]), resnet18: 0, resnet50: 5 },
  { conv: rc("1x1 1024→512 @14", [1024, 14, 14], [512, 1024, 1, 1]), resnet18: 0, resnet50: 1 },
  { conv: rc("3x3/2 512→512 @14", [512, 14, 14], [512, 512, 3, 3], 2, 1), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1/2 1024→2048 @14", [1024, 14, 14], [2048, 1024, 1, 1], 2), resnet18: 0, resnet50: 1 },
  { conv: rc("1x1 512→2048 @7", [512, 7, 7], [2048, 512, 1, 1]), resnet18: 0, resnet50: 3 },
  { conv: rc("1x1 2048→512 @7", [2048, 7, 7], [512, 2048, 1, 1]), resnet18: 0, resnet50: 2 },
];

/** Median forward ms of one ResNet convolution (with bias, no gradient) at the given batch. */
function resnetConvMs(c: ResNetConv, batch: number, reps: number): number {
  const x = nb.randn([batch, ...c.input]), w = nb.randn(c.weight).mul(0.05), b = nb.zeros([c.weight[0]]);
  const ms = medianMs(() => nb.tidy(() => nb.noGrad(() => void nb.conv2d(x, w, b, { stride: c.stride, padding: c.padding }))), 1, reps);
  for (const t of [x, w, b]) t.dispose();
  return ms;
}

/** Median ms of a whole ResNet forward (eval mode, no gradient) on [batch, 3, 224, 224]. */
function resnetForwardMs(name: "resnet18" | "resnet50", batch: number, reps: number): number {
  const model = nb.models[name]();
  model.eval();
  const x = nb.randn([batch, 3, 224, 224]);
  const ms = medianMs(() => nb.tidy(() => nb.noGrad(() => void model.forward(x))), 1, reps);
  x.dispose();
  return ms;
}

/**
 * The ResNet-18/50 convolution shapes at 224x224 (forward, batch 1 and 16, on the default
 * backend), each model's conv time weighted by how often each shape occurs, and the whole models'
 * batch-1 forward. Slow (about a minute): run on its own, `node --import tsx bench/conv.ts --resnet`.
 */
export function benchResNetConvs(batches: number[] = [1, 16]): BenchResult[] {
  const results: BenchResult[] = [];
  for (const batch of batches) {
    let r18 = 0, r50 = 0;
    for (const { conv, resnet18, resnet50 } of RESNET_CONVS) {
      const ms = resnetConvMs(conv, batch, batch === 1 ? 9 : 3);
      r18 += resnet18 * ms;
      r50 += resnet50 * ms;
      results.push({ name: `resnet conv ${conv.label}, batch ${batch}, forward (median)`, value: ms, unit: "ms" });
    }
    results.push({ name: `resnet18 convolutions summed, batch ${batch}, forward`, value: r18, unit: "ms" });
    results.push({ name: `resnet50 convolutions summed, batch ${batch}, forward`, value: r50, unit: "ms" });
  }
  for (const name of ["resnet18", "resnet50"] as const) {
    results.push({ name: `${name} whole forward, batch 1, eval + noGrad (median)`, value: resnetForwardMs(name, 1, 7), unit: "ms" });
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = process.argv.includes("--resnet") ? benchResNetConvs() : await benchConv();
  for (const r of rows) console.log(`${r.name.padEnd(92)} ${r.value.toFixed(2).padStart(8)} ${r.unit}`);
}
