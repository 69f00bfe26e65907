// Training and evaluation loops for the R-CNN detectors: torchvision's references/detection
// recipe in small (SGD with momentum and weight decay, a linear warm-up over the first steps,
// the loss = the sum of the four losses), and evaluation by mean average precision.

import { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Generator } from "../tensor/random.js";
import { SGD } from "../optim/sgd.js";
import { Adam } from "../optim/adam.js";
import { add } from "../ops/elementwise.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { DetectionDataset } from "../data/detection-batches.js";
import { meanAveragePrecision, type MeanAveragePrecisionResult } from "./mean-average-precision.js";
import type { FasterRCNN, FasterRCNNLosses } from "./faster-rcnn.js";
import type { RCNNDetection } from "./image-list.js";

export interface TrainDetectorOptions {
  epochs?: number;
  /** "sgd" (torchvision's recipe: momentum 0.9, weight decay 1e-4, default lr 0.01) or "adam" (default lr 1e-3; trains a small model from scratch in fewer steps). */
  optimizer?: "sgd" | "adam";
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Steps of linear learning-rate warm-up from lr/1000 (torchvision's first epoch; default min(1000, steps per epoch − 1)). */
  warmupSteps?: number;
  /** Seed of the shuffling (and of the samplers' draws, through the global generator it does not touch). */
  seed?: number;
  /** Called after each step with its losses. */
  onStep?: (info: { epoch: number; step: number; losses: Record<string, number>; loss: number }) => void;
  /** Called after each epoch with the mean losses. */
  onEpoch?: (info: { epoch: number; losses: Record<string, number>; loss: number }) => void;
}

export const TRAIN_DETECTOR_OPTIONS = optionNames<TrainDetectorOptions>({
  epochs: 1, optimizer: 1, batchSize: 1, lr: 1, momentum: 1, weightDecay: 1, warmupSteps: 1, seed: 1, onStep: 1, onEpoch: 1,
});

export interface DetectorHistory {
  /** Mean of each loss (and their sum, "loss") per epoch. */
  epochs: Record<string, number>[];
}

/** Shuffled sample order of one epoch (Fisher–Yates on a seeded generator). */
function permutation(n: number, gen: Generator): number[] {
  const u = gen.hostUniform(n);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Train `model` (training mode) on `data`: SGD on the sum of the four losses. */
export function trainDetector(model: FasterRCNN, data: DetectionDataset, opts: TrainDetectorOptions = {}): DetectorHistory {
  checkOptions("trainDetector", opts, TRAIN_DETECTOR_OPTIONS);
  const epochs = opts.epochs ?? 10, batchSize = opts.batchSize ?? 4;
  const params = model.parameters().filter((p) => p.requiresGrad);
  const kind = opts.optimizer ?? "sgd";
  if (kind !== "sgd" && kind !== "adam") throw new RangeError(`trainDetector: optimizer must be "sgd" or "adam", got ${JSON.stringify(kind)}`);
  const lr = opts.lr ?? (kind === "sgd" ? 0.01 : 1e-3);
  const opt = kind === "sgd"
    ? new SGD(params, { lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 1e-4 })
    : new Adam(params, { lr, weightDecay: opts.weightDecay ?? 0 });
  const steps = Math.ceil(data.length / batchSize);
  const warmup = opts.warmupSteps ?? Math.min(1000, steps - 1);
  const gen = new Generator(opts.seed ?? 0);
  const history: DetectorHistory = { epochs: [] };
  let step = 0;
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(data.length, gen);
    const sums: Record<string, number> = {};
    for (let b = 0; b < steps; b++) {
      const samples = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => data.get(i));
      // torchvision's warm-up: factor from 1/1000 to 1 linearly over the first steps.
      const factor = step < warmup ? 0.001 * (1 - step / warmup) + step / warmup : 1;
      for (const g of opt.paramGroups) g.lr = lr * factor;
      const values = tidy(() => {
        opt.zeroGrad();
        const losses = model.losses(samples.map((s) => s[0]), samples.map((s) => s[1]));
        const total = (Object.values(losses) as Tensor[]).reduce((a, l) => add(a, l));
        total.backward();
        opt.step();
        return Object.fromEntries([...Object.entries(losses).map(([k, v]) => [k, (v as Tensor).item()]), ["loss", total.item()]]) as Record<string, number>;
      });
      for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v;
      opts.onStep?.({ epoch, step, losses: values, loss: values.loss });
      step++;
    }
    const mean = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps]));
    history.epochs.push(mean);
    opts.onEpoch?.({ epoch, losses: mean, loss: mean.loss });
  }
  return history;
}

/** Detections of every image of `data` (eval mode), in batches. */
export function detectAll(model: FasterRCNN, data: DetectionDataset, batchSize = 8): RCNNDetection[] {
  model.eval();
  const out: RCNNDetection[] = [];
  for (let s = 0; s < data.length; s += batchSize) {
    const images = Array.from({ length: Math.min(batchSize, data.length - s) }, (_, k) => data.get(s + k)[0]);
    out.push(...noGrad(() => model.detect(images)));
  }
  return out;
}

/** Mean average precision of `model` on `data` (COCO's by default; `voc: true` for VOC's). */
export function evaluateDetector(model: FasterRCNN, data: DetectionDataset, opts: { batchSize?: number; voc?: boolean } = {}): MeanAveragePrecisionResult & { detections: RCNNDetection[] } {
  const detections = detectAll(model, data, opts.batchSize ?? 8);
  const targets = Array.from({ length: data.length }, (_, i) => data.get(i)[1]);
  const result = meanAveragePrecision(detections, targets, opts.voc ? { voc: true } : {});
  return { ...result, detections };
}

export type { FasterRCNNLosses };
