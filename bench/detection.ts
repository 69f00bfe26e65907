// Detection ops (nb.detection): NMS on 5,000 random boxes and RoI Align (forward and backward) of
// 1,000 boxes on a stride-16 ResNet-FPN level (an 800×1088 image: [1, 256, 50, 68], 7×7 bins,
// sampling ratio 2, as Faster R-CNN's box head), on the native and cpu backends next to
// torchvision 0.14's CPU kernels (same inputs, the same thread count as the native pool).
// Run: node --import tsx bench/detection.ts

import { cpus } from "node:os";
import { pathToFileURL } from "node:url";
import * as nb from "../src/index.js";
import { nativeInfo } from "../src/backend/native/index.js";
import { type BenchResult, medianMs, runPython } from "./common.js";

const N_BOXES = 5000, N_ROIS = 1000, MAP: [number, number, number, number] = [1, 256, 50, 68], SCALE = 1 / 16;

function inputs() {
  nb.manualSeed(0);
  const xy = nb.mul(nb.rand([N_BOXES, 2]), 1000), wh = nb.add(nb.mul(nb.rand([N_BOXES, 2]), 200), 4);
  const boxes = nb.cat([xy, nb.add(xy, wh)], 1);
  const scores = nb.rand([N_BOXES]);
  const rois = nb.cat([nb.zeros([N_ROIS, 1]), boxes.slice(0, 0, N_ROIS)], 1);
  const x = nb.randn(MAP);
  return { boxes, scores, rois, x };
}

const TORCH = `
import json, sys, time, torch, torchvision
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
xy = torch.rand(${N_BOXES}, 2) * 1000; wh = torch.rand(${N_BOXES}, 2) * 200 + 4
boxes = torch.cat([xy, xy + wh], 1); scores = torch.rand(${N_BOXES})
rois = torch.cat([torch.zeros(${N_ROIS}, 1), boxes[:${N_ROIS}]], 1)
x = torch.randn(${MAP.join(", ")}, requires_grad=True)
def median(fn, reps):
    fn(); t = []
    for _ in range(reps):
        s = time.perf_counter(); fn(); t.append((time.perf_counter() - s) * 1000)
    return sorted(t)[len(t) // 2]
nms = median(lambda: torchvision.ops.nms(boxes, scores, 0.5), 10)
fwd = median(lambda: torchvision.ops.roi_align(x.detach(), rois, 7, ${SCALE}, 2), 5)
y = torchvision.ops.roi_align(x, rois, 7, ${SCALE}, 2); g = torch.randn(y.shape)
bwd = median(lambda: torch.autograd.grad(y, x, g, retain_graph=True), 5)
print(json.dumps({"nms": nms, "fwd": fwd, "bwd": bwd}))
`;

export async function benchDetection(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const { boxes, scores, rois, x } = inputs();
  const devices = nb.backends().filter((d) => d === "native" || d === "cpu");
  for (const device of devices) {
    const b = boxes.to(device), s = scores.to(device), r = rois.to(device), xd = x.to(device);
    rows.push({ name: `nms, ${N_BOXES} boxes, IoU 0.5 (${device})`, value: medianMs(() => nb.tidy(() => void nb.detection.nms(b, s, 0.5)), 1, 10), unit: "ms" });
    const reps = device === "native" ? 5 : 2;
    rows.push({ name: `roiAlign forward, ${N_ROIS} boxes on [${MAP.join(", ")}], 7×7, ratio 2 (${device})`, value: medianMs(() => nb.tidy(() => void nb.detection.roiAlign(xd, r, 7, { spatialScale: SCALE, samplingRatio: 2 })), 1, reps), unit: "ms" });
    const xg = xd.detach().requiresGrad_();
    const y = nb.detection.roiAlign(xg, r, 7, { spatialScale: SCALE, samplingRatio: 2 });
    const g = nb.randn(y.shape, { device });
    rows.push({ name: `roiAlign backward (${device})`, value: medianMs(() => nb.tidy(() => { xg.zeroGrad(); nb.sum(nb.mul(y, g)).backward({ retainGraph: true }); }), 1, reps), unit: "ms" });
  }
  const threads = nativeInfo()?.threads ?? 1;
  const t = runPython(TORCH, [String(threads)], { ...process.env, OPENBLAS_NUM_THREADS: "1" }) as { nms: number; fwd: number; bwd: number } | null;
  if (t) {
    rows.push({ name: `torchvision nms (${threads} threads)`, value: t.nms, unit: "ms" });
    rows.push({ name: "torchvision roi_align forward", value: t.fwd, unit: "ms" });
    rows.push({ name: "torchvision roi_align backward (autograd.grad)", value: t.bwd, unit: "ms" });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`nabla detection bench — ${cpus()[0]?.model ?? "unknown CPU"}, native threads ${nativeInfo()?.threads ?? "n/a"}, node ${process.version}`);
  for (const r of await benchDetection()) console.log(`  ${r.name.padEnd(80)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
