// `nabla train --model fasterrcnn --dataset shapes|voc` and `nabla detect`: Faster R-CNN from the
// command line. Training writes into --out the weights (model.safetensors), what rebuilds the
// model (detector.json), the history, the mAP (metrics.json) and pictures of the predicted boxes
// on validation images (predictions/val-NN.png: predictions in class colours over the ground
// truth in white). Training is a long run as `nabla train`'s others: run.json and a checkpoint at
// every epoch's end in --out, `--resume`, Ctrl-C, NaN losses (see run-folder.ts). `detect` draws
// one image's detections into a PNG.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { setBackend } from "../backend/registry.js";
import { load, save } from "../io/save-load.js";
import { shapes, SHAPE_KINDS } from "../datasets/shapes.js";
import { vocDetection } from "../datasets/voc-detection.js";
import { decodeImage, rgbaToPlanes, sniffImage } from "../datasets/image-files.js";
import type { DetectionDataset } from "../data/detection-batches.js";
import { fasterrcnnResnet18Fpn, fasterrcnnResnet50Fpn, fasterrcnnSmall, type FasterRCNN } from "../detection/faster-rcnn.js";
import { FrozenBatchNorm2d } from "../detection/frozen-batch-norm.js";
import { detectorOptimizer, evaluateDetector, trainDetector, type DetectorHistory } from "../detection/train-detector.js";
import { Generator, manualSeed } from "../tensor/random.js";
import { LoopRun } from "./run-folder.js";
import { watchInterrupts } from "./interrupts.js";
import { saveBoxes } from "../viz/draw-boxes.js";
import { normalizeName, oneOf, UsageError } from "./usage-error.js";

/** Detection models by CLI name: the small from-scratch one and torchvision's ResNet-FPN layouts. */
export const DETECTION_MODELS = ["fasterrcnn", "fasterrcnn-resnet18-fpn", "fasterrcnn-resnet50-fpn"] as const;
export type DetectionModelName = (typeof DETECTION_MODELS)[number];
export const DETECTION_DATASETS = ["shapes", "voc"] as const;

export function isDetectionModel(name: string): boolean {
  return DETECTION_MODELS.some((m) => normalizeName(m) === normalizeName(name));
}

/** What detector.json holds: enough to rebuild the model for `nabla detect`. */
interface DetectorSpec {
  model: DetectionModelName;
  classes: string[];
  minSize: number;
  maxSize: number;
}

export function buildDetector(spec: DetectorSpec, initWeights = true): FasterRCNN {
  const numClasses = spec.classes.length;
  const sizes = { minSize: spec.minSize, maxSize: spec.maxSize };
  if (spec.model === "fasterrcnn") return fasterrcnnSmall({ numClasses, ...sizes });
  if (spec.model === "fasterrcnn-resnet18-fpn") return fasterrcnnResnet18Fpn({ numClasses, ...sizes, initWeights });
  return fasterrcnnResnet50Fpn({ numClasses, ...sizes, initWeights });
}

/** The first n samples of a dataset. */
const firstN = (d: DetectionDataset, n: number | undefined): DetectionDataset =>
  n === undefined || n >= d.length ? d : { length: n, get: (i: number) => d.get(i) };

export interface DetectionTrainArgs {
  model: string;
  dataset: string;
  root?: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  seed: number;
  device?: string;
  out?: string;
  limit?: number;
  testLimit?: number;
  imageSize?: number;
  /** Continue the run in `out` from its last epoch's checkpoint (`nabla train --resume`). */
  resume?: boolean;
  verbose: number;
}

export async function detectionTrainCommand(a: DetectionTrainArgs): Promise<{ map50: number; map: number }> {
  const model = oneOf("--model", a.model, DETECTION_MODELS);
  const dataset = oneOf("--dataset", a.dataset, DETECTION_DATASETS);
  const optimizer = oneOf("--optimizer", a.optimizer, ["adam", "sgd"] as const);
  if (a.device) setBackend(a.device);
  manualSeed(a.seed);
  let train: DetectionDataset, val: DetectionDataset, classes: string[], side: number;
  if (dataset === "shapes") {
    side = a.imageSize ?? 64;
    train = shapes({ n: a.limit ?? 512, imageSize: side, maxObjects: 3, seed: 2 * a.seed + 1 });
    val = shapes({ n: a.testLimit ?? 64, imageSize: side, maxObjects: 3, seed: 2 * a.seed + 2 });
    classes = ["__background__", ...SHAPE_KINDS];
  } else {
    if (!a.root) throw new UsageError("--dataset voc needs --root <VOCdevkit/VOC2012 folder> (with Annotations/, JPEGImages/, ImageSets/Main/)");
    const tr = vocDetection({ root: a.root, split: "train" });
    train = firstN(tr, a.limit);
    val = firstN(vocDetection({ root: a.root, split: "val" }), a.testLimit ?? 200);
    classes = [...tr.classes];
    side = a.imageSize ?? (model === "fasterrcnn" ? 256 : 800);
  }
  const spec: DetectorSpec = { model, classes, minSize: side, maxSize: model === "fasterrcnn" ? side : Math.round(side * 1333 / 800) };
  const detector = buildDetector(spec);
  const log = (s: string) => a.verbose > 0 && console.log(s);
  log(`training ${model} on ${train.length} ${dataset} images (${classes.length - 1} classes), validating on ${val.length}`);
  const opt = detectorOptimizer(detector, { optimizer, lr: a.lr ?? (optimizer === "adam" ? 2e-3 : 0.01), momentum: a.momentum, weightDecay: a.weightDecay });
  const shuffling = new Generator(a.seed);
  const batches = Math.ceil(train.length / a.batchSize);
  if (a.out) mkdirSync(a.out, { recursive: true });
  const start = Date.now();
  // Long runs: a checkpoint (weights, optimizer, shuffling and global RNG, losses) at every epoch's
  // end, --resume from it, Ctrl-C at a step boundary, a NaN loss stops at its step.
  const resumeCommand = `nabla train --resume ${a.out}`;
  const interrupts = watchInterrupts((signal) => process.stderr.write(`\nnabla: ${signal}: stopping after the current step (again: at once)\n`), a.out ? resumeCommand : undefined);
  let history: DetectorHistory;
  try {
    const run = new LoopRun(a.out ?? null, resumeCommand, interrupts, {
      model: detector, optimizer: opt, loader: { length: batches, generator: shuffling }, epochs: a.epochs, history: {},
    });
    const first = await run.start(a.resume ?? false);
    if (first > 0) log(`resuming ${a.out} from its checkpoint: epoch ${first + 1} of ${a.epochs}`);
    // The checkpoint's history: each loss's per-epoch means, by name.
    const saved = run.ctx.history;
    const done = saved.loss?.length ?? 0;
    const resumed: DetectorHistory = { epochs: Array.from({ length: done }, (_, i) => Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, v[i]]))) };
    history = await trainDetector(detector, train, {
      epochs: a.epochs, batchSize: a.batchSize, optimizer: opt, generator: shuffling, resume: { initialEpoch: first, history: resumed },
      onStep: ({ epoch, batch, loss }) => run.step(epoch, batch, loss),
      onEpoch: async ({ epoch, losses }) => {
        log(`epoch ${epoch + 1}/${a.epochs} - ${Object.entries(losses).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(" - ")} - ${((Date.now() - start) / 1000).toFixed(0)} s`);
        for (const [k, v] of Object.entries(losses)) (run.ctx.history[k] ??= []).push(v);
        await run.endEpoch(epoch);
      },
    });
    run.finish();
  } finally {
    interrupts.dispose();
  }
  const result = evaluateDetector(detector, val);
  console.log(`validation (${val.length} images): mAP@0.5 ${result.map50.toFixed(3)} - mAP@[.5:.95] ${result.map.toFixed(3)} - mAP@0.75 ${result.map75.toFixed(3)}`);
  if (a.out) {
    await save(detector, join(a.out, "model.safetensors"));
    writeFileSync(join(a.out, "detector.json"), JSON.stringify(spec, null, 2));
    writeFileSync(join(a.out, "history.json"), JSON.stringify(history.epochs, null, 2));
    writeFileSync(join(a.out, "metrics.json"), JSON.stringify({ map: result.map, map50: result.map50, map75: result.map75, perClass: result.perClass, images: val.length, seconds: (Date.now() - start) / 1000 }, null, 2));
    for (let i = 0; i < Math.min(8, val.length); i++) {
      const [image, target] = val.get(i);
      const d = result.detections[i];
      const keep = Array.from(d.scores.dataSync(), Number).map((s, k) => (s >= 0.5 ? k : -1)).filter((k) => k >= 0);
      const rows = keep.map((k) => Array.from(d.boxes.dataSync().subarray(4 * k, 4 * k + 4), Number));
      saveBoxes(join(a.out, "predictions", `val-${String(i).padStart(2, "0")}.png`), image, rows, { labels: keep.map((k) => Number(d.labels.dataSync()[k])), reference: target.boxes });
    }
    log(`wrote ${a.out}/model.safetensors, detector.json, history.json, metrics.json, predictions/val-*.png`);
  }
  return { map50: result.map50, map: result.map };
}

export interface DetectArgs {
  weights: string;
  image: string;
  out: string;
  model?: string;
  classes?: number;
  scoreThreshold: number;
  device?: string;
}

/** An image file as float32 [3, H, W] in [0, 1]. */
function readImage(path: string): Tensor {
  if (!existsSync(path)) throw new UsageError(`--image: no such file ${path}`);
  const info = sniffImage("detect", path);
  const img = decodeImage("detect", path, info.format);
  const planes = new Float32Array(3 * img.width * img.height);
  rgbaToPlanes(img, 3, false, planes, 0);
  return tensor(planes, { shape: [3, img.height, img.width] });
}

export async function detectCommand(a: DetectArgs): Promise<void> {
  if (a.device) setBackend(a.device);
  if (!existsSync(a.weights)) throw new UsageError(`--weights: no such file ${a.weights}`);
  const sidecar = join(dirname(a.weights), "detector.json");
  const saved: Partial<DetectorSpec> = existsSync(sidecar) ? JSON.parse(readFileSync(sidecar, "utf8")) : {};
  const model = oneOf("--model", a.model ?? saved.model ?? "fasterrcnn-resnet50-fpn", DETECTION_MODELS);
  const n = a.classes ?? saved.classes?.length ?? (model === "fasterrcnn" ? 4 : 91);
  const classes = saved.classes && saved.classes.length === n ? saved.classes : Array.from({ length: n }, (_, i) => (i === 0 ? "__background__" : `class ${i}`));
  const spec: DetectorSpec = { model, classes, minSize: saved.minSize ?? (model === "fasterrcnn" ? 64 : 800), maxSize: saved.maxSize ?? (model === "fasterrcnn" ? 64 : 1333) };
  const detector = buildDetector(spec, false);
  const state = await load(a.weights);
  try {
    detector.loadStateDict(state);
  } catch (e) {
    throw new UsageError(`--weights ${a.weights} does not fit --model ${model} with ${n} classes: ${(e as Error).message.split("\n")[0]}`);
  }
  // torchvision's COCO weights were trained with frozen batch norm at eps 0 (its overwrite_eps).
  if (!existsSync(sidecar)) for (const m of detector.modules()) if (m instanceof FrozenBatchNorm2d) m.eps = 0;
  const image = readImage(a.image);
  const [d] = noGrad(() => detector.eval().detect([image]));
  const scores = Array.from(d.scores.dataSync(), Number);
  const keep = scores.map((s, k) => (s >= a.scoreThreshold ? k : -1)).filter((k) => k >= 0);
  const boxes = keep.map((k) => Array.from(d.boxes.dataSync().subarray(4 * k, 4 * k + 4), Number));
  const labels = keep.map((k) => Number(d.labels.dataSync()[k]));
  keep.forEach((k, j) => console.log(`${classes[labels[j]] ?? labels[j]} ${scores[k].toFixed(3)} ${boxes[j].map((v) => v.toFixed(1)).join(" ")}`));
  saveBoxes(a.out, image, boxes, { labels, scale: Math.max(1, Math.ceil(256 / Math.max(...image.shape.slice(1)))) });
  console.log(`${keep.length} detection(s) with score >= ${a.scoreThreshold}; wrote ${a.out}`);
}
