// `npm run bench:cuda`: training throughput (images/second) of nabla's cuda backend next to
// PyTorch on the same GPU in the same run, and float32 GEMM speed, printed as ratios:
//   typicalCnn batch 64 (Adam), LeNet-5 batch 256 (Adam), ResNet-18 on 32x32 batch 256 (SGD with
//   momentum), ResNet-50 on 224x224 batch 64 fp32 (SGD with momentum), sgemm 8192³ (TFLOP/s).
// Both sides run float32 with TF32 off (nb.cuda.allowTF32 = false; torch's allow_tf32 flags off)
// and time convolution algorithms per shape (NABLA_CUDNN_BENCHMARK=1, torch.backends.cudnn
// .benchmark = True). PyTorch is `python3 -c` with torch and torchvision (the GPU host's image has
// them). Without a usable cuda backend it prints why and exits 0.
//
// Options: --quick (fewer steps), --cases typicalCnn,resnet18,... (a subset), --json FILE (results).

import { writeFileSync } from "node:fs";
import * as nb from "../src/index.js";
import { runPython } from "./common.js";
import { TORCH_TYPICAL_CNN } from "./train.js";

process.env.NABLA_CUDNN_BENCHMARK ??= "1";

interface Case {
  name: string;
  model: "typicalCnn" | "lenet5" | "resnet18" | "resnet50";
  input: [number, number, number];
  batch: number;
  optimizer: "adam" | "sgd";
  steps: number;
}

const CASES: Case[] = [
  { name: "typicalCnn", model: "typicalCnn", input: [1, 28, 28], batch: 64, optimizer: "adam", steps: 200 },
  { name: "lenet5", model: "lenet5", input: [1, 28, 28], batch: 256, optimizer: "adam", steps: 100 },
  { name: "resnet18", model: "resnet18", input: [3, 32, 32], batch: 256, optimizer: "sgd", steps: 40 },
  { name: "resnet50", model: "resnet50", input: [3, 224, 224], batch: 64, optimizer: "sgd", steps: 15 },
];

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const only = argv.includes("--cases") ? argv[argv.indexOf("--cases") + 1].split(",") : null;
const jsonOut = argv.includes("--json") ? argv[argv.indexOf("--json") + 1] : null;
const cases = CASES.filter((c) => !only || only.includes(c.name)).map((c) => ({ ...c, steps: quick ? Math.max(3, Math.ceil(c.steps / 5)) : c.steps }));
const withGemm = !only || only.includes("sgemm");

function buildModel(c: Case): nb.nn.Module {
  switch (c.model) {
    case "typicalCnn": return nb.models.typicalCnn();
    case "lenet5": return nb.models.lenet5();
    case "resnet18": return nb.models.resnet18({ numClasses: 10 });
    case "resnet50": return nb.models.resnet50({ numClasses: 1000 });
  }
}

/** Images per second over c.steps training steps on one random batch, after 3 warm-up steps. */
function nablaImagesPerSecond(c: Case): number {
  nb.manualSeed(0);
  const model = nb.nn.fuse(buildModel(c)).to("cuda");
  model.train();
  const opt = c.optimizer === "adam" ? new nb.optim.Adam(model.parameters(), { lr: 1e-3 }) : new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const classes = c.model === "resnet50" ? 1000 : 10;
  const x = nb.rand([c.batch, ...c.input], { device: "cuda" });
  const y = nb.randint(0, classes, [c.batch], { device: "cuda" });
  const step = () => nb.tidy(() => {
    opt.zeroGrad();
    const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
  });
  for (let i = 0; i < 3; i++) step();
  nb.cuda.synchronize();
  const t = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  nb.cuda.synchronize();
  return (c.steps * c.batch) / ((performance.now() - t) / 1000);
}

function nablaSgemmTflops(n: number, reps: number): number {
  const a = nb.randn([n, n], { device: "cuda" }), b = nb.randn([n, n], { device: "cuda" });
  for (let i = 0; i < 2; i++) nb.tidy(() => void nb.matmul(a, b));
  nb.cuda.synchronize();
  const t = performance.now();
  for (let i = 0; i < reps; i++) nb.tidy(() => void nb.matmul(a, b));
  nb.cuda.synchronize();
  return (2 * n ** 3 * reps) / ((performance.now() - t) / 1000) / 1e12;
}

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F, torchvision
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True
cases, gemm = json.loads(sys.argv[1]), json.loads(sys.argv[2])
dev = torch.device("cuda")
${TORCH_TYPICAL_CNN}
def build(name):
    if name == "typicalCnn": return Typical()
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "resnet18": return torchvision.models.resnet18(num_classes=10)
    return torchvision.models.resnet50(num_classes=1000)
out = []
for c in cases:
    torch.manual_seed(0)
    m = build(c["model"]).to(dev).train()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3) if c["optimizer"] == "adam" else torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    classes = 1000 if c["model"] == "resnet50" else 10
    x = torch.rand(c["batch"], *c["input"], device=dev); y = torch.randint(0, classes, (c["batch"],), device=dev)
    def step():
        opt.zero_grad(); loss = F.cross_entropy(m(x), y); loss.backward(); opt.step()
    for _ in range(3): step()
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(c["steps"]): step()
    torch.cuda.synchronize()
    out.append(c["steps"] * c["batch"] / (time.perf_counter() - t))
tflops = None
if gemm:
    n, reps = gemm
    a = torch.randn(n, n, device=dev); b = torch.randn(n, n, device=dev)
    for _ in range(2): a @ b
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(reps): a @ b
    torch.cuda.synchronize()
    tflops = 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e12
print(json.dumps({"train": out, "sgemm": tflops, "torch": torch.__version__, "device": torch.cuda.get_device_name(0)}))
`;

if (!nb.cuda.isAvailable()) {
  console.log(`bench:cuda skipped: ${nb.cuda.unavailableReason()}`);
  process.exit(0);
}
nb.cuda.allowTF32 = false;
const device = nb.cuda.device();
console.log(`nabla bench:cuda — ${device.name} (sm ${device.computeCapability}), node ${process.version}, ${new Date().toISOString()}${quick ? ", quick" : ""}`);

const gemm: [number, number] | null = withGemm ? [8192, quick ? 3 : 10] : null;
// PyTorch first, in its own process, so that its memory is back before nabla allocates.
const torch = runPython(TORCH_SCRIPT, [JSON.stringify(cases), JSON.stringify(gemm)], process.env, 1_800_000) as
  { train: number[]; sgemm: number | null; torch: string; device: string } | null;
console.log(torch ? `PyTorch ${torch.torch} on ${torch.device}` : "PyTorch: not available (python3 with torch and torchvision on a CUDA device is needed for the ratios)");

const rows: { name: string; nabla: number | null; torch: number | null; unit: string; error?: string }[] = [];
for (const c of cases) {
  let value: number | null = null, error: string | undefined;
  try {
    value = nablaImagesPerSecond(c);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  rows.push({ name: `${c.name} batch ${c.batch} ${c.input.join("x")} ${c.optimizer}`, nabla: value, torch: null, unit: "img/s", error });
  nb.cuda.emptyCache();
}
if (gemm) {
  let value: number | null = null, error: string | undefined;
  try {
    value = nablaSgemmTflops(...gemm);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  rows.push({ name: `sgemm ${gemm[0]}³ fp32`, nabla: value, torch: null, unit: "TFLOP/s", error });
  nb.cuda.emptyCache();
}

if (torch) {
  cases.forEach((_, i) => (rows[i].torch = torch.train[i]));
  if (gemm) rows[rows.length - 1].torch = torch.sgemm;
}

const fmt = (v: number | null, d = 1) => (v === null ? "—" : v.toFixed(d));
console.log(`\n${"case".padEnd(44)} ${"nabla".padStart(10)} ${"torch".padStart(10)} ${"nabla/torch".padStart(12)}`);
for (const r of rows) {
  const ratio = r.nabla !== null && r.torch ? r.nabla / r.torch : null;
  console.log(`${`${r.name} (${r.unit})`.padEnd(44)} ${fmt(r.nabla).padStart(10)} ${fmt(r.torch).padStart(10)} ${fmt(ratio, 2).padStart(12)}${r.error ? `  error: ${r.error}` : ""}`);
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ device, rows, torch: torch?.torch ?? null }, null, 2)}\n`);
