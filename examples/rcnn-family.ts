// The R-CNN family on the same images, measured: R-CNN (selective search → warped regions → CNN
// features → per-class SVMs → box regression), Fast R-CNN (the same proposals, one CNN pass per
// image, RoI pooling, a jointly trained classifier and regressor) and Faster R-CNN (a region
// proposal network over anchors replaces selective search). All three train from scratch on
// nb.datasets.shapes and are scored by COCO's mAP and mAP@0.5 on held-out images; the table
// gives training time and inference seconds per image (proposals included), wall clock and
// process CPU time (user + system, all threads). Pictures of one validation image's detections
// go to --pictures.
// Run: nice -n 10 node --import tsx examples/rcnn-family.ts [--train 200] [--val 50] [--size 64]
//        [--rcnn-epochs 10] [--fast-epochs 15] [--faster-epochs 15] [--pictures docs/images] [--out runs/rcnn-family]

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    train: { type: "string", default: "200" }, val: { type: "string", default: "50" }, size: { type: "string", default: "64" },
    "rcnn-epochs": { type: "string", default: "10" }, "fast-epochs": { type: "string", default: "15" }, "faster-epochs": { type: "string", default: "15" },
    pictures: { type: "string", default: "" }, out: { type: "string", default: "runs/rcnn-family" }, seed: { type: "string", default: "0" },
  },
});
const seed = Number(args.seed), size = Number(args.size);
mkdirSync(args.out, { recursive: true });
const train = nb.datasets.shapes({ n: Number(args.train), imageSize: size, maxObjects: 3, seed: 1 });
const val = nb.datasets.shapes({ n: Number(args.val), imageSize: size, maxObjects: 3, seed: 2 });
const numClasses = train.classes.length - 1;
const valTargets = Array.from({ length: val.length }, (_, i) => val.get(i)[1]);
console.log(`shapes ${size}×${size}: ${train.length} training and ${val.length} validation images, ${numClasses} classes; CPU ${cpus()[0].model} (${cpus().length} cores), backend ${nb.getBackend()}, load ${loadavg()[0].toFixed(1)}`);

/** Wall and CPU seconds of fn. */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}
/** The same for an async fn. */
async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

interface Row {
  model: string; map50: number; map: number; trainWall: number; trainCpu: number;
  /** Per image, proposals included; and the detector alone (after the proposals). */
  inferWall: number; inferCpu: number; netWall: number; netCpu: number; proposalsPerImage: number;
}
const rows: Row[] = [];
const detectionsOf: Record<string, nb.detection.RCNNDetection> = {};
const PICTURE = 0; // the validation image drawn

// Selective search once per image, shared by R-CNN and Fast R-CNN (and counted in both: training
// includes the training images' proposals, inference each validation image's).
const ss = { mode: "fast", maxProposals: 500 } as const;
const trainProps = timed(() => Array.from({ length: train.length }, (_, i) => nb.detection.selectiveSearch(train.get(i)[0], ss)));
console.log(`selective search ("fast") on the training images: ${trainProps.wall.toFixed(1)} s wall, ${trainProps.cpu.toFixed(1)} s CPU, ${(trainProps.value.reduce((a, p) => a + p.shape[0], 0) / train.length).toFixed(0)} proposals per image`);

const valProps = timed(() => Array.from({ length: val.length }, (_, i) => nb.detection.selectiveSearch(val.get(i)[0], ss)));

/** Runs `detect` on every validation image; `proposals` adds selective search's time on them. */
function evaluate(model: string, detect: (image: nb.Tensor, i: number) => nb.detection.RCNNDetection, trainTime: { wall: number; cpu: number }, proposals: { wall: number; cpu: number } | null, proposalsPerImage: number): void {
  const run = timed(() => Array.from({ length: val.length }, (_, i) => detect(val.get(i)[0], i)));
  const r = nb.detection.meanAveragePrecision(run.value, valTargets);
  detectionsOf[model] = run.value[PICTURE];
  const n = val.length, pw = proposals?.wall ?? 0, pc = proposals?.cpu ?? 0;
  const row: Row = {
    model, map50: r.map50, map: r.map, trainWall: trainTime.wall, trainCpu: trainTime.cpu,
    inferWall: (run.wall + pw) / n, inferCpu: (run.cpu + pc) / n, netWall: run.wall / n, netCpu: run.cpu / n, proposalsPerImage,
  };
  rows.push(row);
  console.log(`${model}: mAP@0.5 ${r.map50.toFixed(3)}, COCO mAP ${r.map.toFixed(3)}; training ${trainTime.wall.toFixed(0)} s wall / ${trainTime.cpu.toFixed(0)} s CPU; inference ${row.inferWall.toFixed(3)} s wall / ${row.inferCpu.toFixed(3)} s CPU per image (the network alone ${row.netWall.toFixed(3)} / ${row.netCpu.toFixed(3)})`);
}

const propsPerImage = trainProps.value.reduce((a, p) => a + p.shape[0], 0) / train.length;

// R-CNN.
nb.manualSeed(seed);
const rcnn = new nb.detection.RCNN({ numClasses, proposals: ss, cnnEpochs: Number(args["rcnn-epochs"]), seed, log: console.log });
const rcnnFit = timed(() => rcnn.fit(train, trainProps.value));
console.log(`R-CNN stages (s): ${JSON.stringify(Object.fromEntries(Object.entries(rcnnFit.value).filter(([, v]) => typeof v === "number").map(([k, v]) => [k, Number((v as number).toFixed(1))])))}`);
evaluate("R-CNN", (image, i) => rcnn.detect(image, valProps.value[i]), { wall: rcnnFit.wall + trainProps.wall, cpu: rcnnFit.cpu + trainProps.cpu }, valProps, propsPerImage);

// Fast R-CNN.
nb.manualSeed(seed);
const fast = new nb.detection.FastRCNN({ numClasses, proposals: ss, epochs: Number(args["fast-epochs"]), seed, log: console.log });
const fastFit = timed(() => fast.fit(train, trainProps.value));
evaluate("Fast R-CNN", (image, i) => fast.detect(image, valProps.value[i]), { wall: fastFit.wall + trainProps.wall, cpu: fastFit.cpu + trainProps.cpu }, valProps, propsPerImage);

// Faster R-CNN (the RPN's proposals: no selective search).
nb.manualSeed(seed);
const faster = nb.detection.fasterrcnnSmall({ numClasses: numClasses + 1, minSize: size, maxSize: size });
const fasterFit = await timedAsync(() => nb.detection.trainDetector(faster, train, {
  epochs: Number(args["faster-epochs"]), batchSize: 4, optimizer: "adam", lr: 0.002, seed,
  onEpoch: ({ epoch, losses }) => console.log(`Faster R-CNN epoch ${epoch + 1}: ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`),
}));
faster.eval();
evaluate("Faster R-CNN", (image) => nb.noGrad(() => faster.detect([image])[0]), fasterFit, null, 100);

// The table.
const table = [
  "| model | proposals per image | mAP@0.5 | COCO mAP | training, wall / CPU (s) | test time per image, wall / CPU (s) | without proposals, wall / CPU (s) | speed-up (CPU, with proposals) |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.model} | ${r.model === "Faster R-CNN" ? "RPN (≤ 100)" : `selective search (${r.proposalsPerImage.toFixed(0)})`} | ${r.map50.toFixed(3)} | ${r.map.toFixed(3)} | ${r.trainWall.toFixed(0)} / ${r.trainCpu.toFixed(0)} | ${r.inferWall.toFixed(3)} / ${r.inferCpu.toFixed(3)} | ${r.netWall.toFixed(3)} / ${r.netCpu.toFixed(3)} | ${(rows[0].inferCpu / r.inferCpu).toFixed(1)}× |`),
];
console.log(`\n${table.join("\n")}\n`);
writeFileSync(join(args.out, "results.json"), JSON.stringify({ rows, cpu: cpus()[0].model, cores: cpus().length, backend: String(nb.getBackend()), args }, null, 2));
// How test time grows with the number of proposals (the paper's R-CNN warps ~2,000 per image):
// R-CNN runs its CNN once per region, Fast R-CNN once per image plus a small head per region. Random
// boxes stand in for proposals; the time is the detector's alone, on the first 5 validation images.
const scaling = ["| proposals per image | R-CNN, wall / CPU (s per image) | Fast R-CNN, wall / CPU (s per image) | ratio (CPU) |", "|---|---|---|---|"];
for (const K of [50, 500, 2000]) {
  const gen = new nb.Generator(K);
  const boxes = Array.from({ length: 5 }, () => {
    const u = gen.hostUniform(4 * K);
    return nb.tensor(Float32Array.from({ length: 4 * K }, (_, j) => {
      const k = Math.floor(j / 4), c = j % 4, lo = Math.min(u[4 * k + (c & 1)], u[4 * k + (c & 1) + 2]) * (size - 4);
      const hi = Math.max(u[4 * k + (c & 1)], u[4 * k + (c & 1) + 2]) * (size - 4) + 4;
      return c < 2 ? lo : hi;
    }), { shape: [K, 4] });
  });
  const r = timed(() => boxes.forEach((b, i) => rcnn.detect(val.get(i)[0], b)));
  const f = timed(() => boxes.forEach((b, i) => fast.detect(val.get(i)[0], b)));
  scaling.push(`| ${K} | ${(r.wall / 5).toFixed(3)} / ${(r.cpu / 5).toFixed(3)} | ${(f.wall / 5).toFixed(3)} / ${(f.cpu / 5).toFixed(3)} | ${(r.cpu / f.cpu).toFixed(1)}× |`);
}
console.log(`${scaling.join("\n")}\n`);
writeFileSync(join(args.out, "tables.md"), `${table.join("\n")}\n\n${scaling.join("\n")}\n`);

if (args.pictures) {
  const [image, target] = val.get(PICTURE);
  for (const [model, d] of Object.entries(detectionsOf)) {
    // Draw the confident detections (R-CNN's SVM scores > 0; the others' probabilities > 0.5) over the ground truth in white.
    const s = d.scores.dataSync();
    const keepRows = [...s.keys()].filter((k) => s[k] > (model === "R-CNN" ? 0 : 0.5));
    const idx = nb.tensor(Int32Array.from(keepRows), { dtype: "int32" });
    const file = join(args.pictures, `rcnn-family-${model.toLowerCase().replace(/[^a-z]+/g, "-")}.png`);
    nb.viz.saveBoxes(file, image, nb.indexSelect(d.boxes, 0, idx), { labels: nb.indexSelect(d.labels, 0, idx), reference: target.boxes, scale: 4 });
    console.log(`wrote ${file}`);
  }
}
