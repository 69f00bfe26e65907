// Training and evaluation loops for the R-CNN detectors: torchvision's references/detection
// recipe in small (SGD with momentum and weight decay, a linear warm-up over the first steps,
// the loss = the sum of the four losses), and evaluation by mean average precision.

import { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Generator } from "../tensor/random.js";
import { SGD } from "../optim/sgd.js";
import { Adam } from "../optim/adam.js";
import { Optimizer } from "../optim/optimizer.js";
import { add } from "../ops/elementwise.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { DetectionDataset } from "../data/detection-batches.js";
import { randomPermutation } from "../data/permutation.js";
import { meanAveragePrecision, type MeanAveragePrecisionResult } from "./mean-average-precision.js";
import type { FasterRCNN, FasterRCNNLosses } from "./faster-rcnn.js";
import type { RCNNDetection } from "./image-list.js";

export interface DetectorStepInfo {
  epoch: number;
  /** The batch within the epoch (0-based). */
  batch: number;
  /** The global step (0-based, counted from the run's first epoch). */
  step: number;
  losses: Record<string, number>;
  loss: number;
}

export interface TrainDetectorOptions {
  epochs?: number;
  /**
   * "sgd" (torchvision's recipe: momentum 0.9, weight decay 1e-4, default lr 0.01), "adam" (default lr
   * 1e-3; trains a small model from scratch in fewer steps), or an Optimizer over the model's
   * parameters made by the caller (who can then checkpoint its state); the warm-up scales each
   * group's `initialLr` (set from its lr when absent, as the lr schedulers do).
   */
  optimizer?: "sgd" | "adam" | Optimizer;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Steps of linear learning-rate warm-up from lr/1000 (torchvision's first epoch; default min(1000, steps per epoch − 1)). */
  warmupSteps?: number;
  /** Seed of the shuffling (and of the samplers' draws, through the global generator it does not touch). */
  seed?: number;
  /** The shuffling generator itself, instead of `seed` (its state goes into a caller's checkpoints). */
  generator?: Generator;
  /** Continue a run: start at `initialEpoch` (0-based; the warm-up continues at its step) with the epochs' losses so far. */
  resume?: { initialEpoch: number; history: DetectorHistory };
  /** Called after each step with its losses, and awaited (a place to check for signals or NaN and stop by throwing). */
  onStep?: (info: DetectorStepInfo) => void | Promise<void>;
  /** Called after each epoch with the mean losses, and awaited (a place to checkpoint). */
  onEpoch?: (info: { epoch: number; losses: Record<string, number>; loss: number }) => void | Promise<void>;
}

export const TRAIN_DETECTOR_OPTIONS = optionNames<TrainDetectorOptions>({
  epochs: 1, optimizer: 1, batchSize: 1, lr: 1, momentum: 1, weightDecay: 1, warmupSteps: 1, seed: 1, generator: 1, resume: 1, onStep: 1, onEpoch: 1,
});

export interface DetectorHistory {
  /** Mean of each loss (and their sum, "loss") per epoch. */
  epochs: Record<string, number>[];
}

/**
 * The optimizer of the recipe for `opts.optimizer` "sgd" or "adam" over the model's trainable
 * parameters (for a caller that keeps it, e.g. to checkpoint it); an Optimizer given is returned
 * as it is (its own options rule: lr, momentum and weightDecay are refused beside it).
 */
export function detectorOptimizer(model: FasterRCNN, opts: Pick<TrainDetectorOptions, "optimizer" | "lr" | "momentum" | "weightDecay"> = {}): Optimizer {
  const given = opts.optimizer ?? "sgd";
  if (given instanceof Optimizer) {
    const clash = (["lr", "momentum", "weightDecay"] as const).filter((k) => opts[k] !== undefined);
    if (clash.length) throw new Error(`trainDetector: ${clash.join(", ")} given beside an Optimizer instance; set them on the optimizer`);
    return given;
  }
  if (given !== "sgd" && given !== "adam") throw new RangeError(`trainDetector: optimizer must be "sgd", "adam" or an Optimizer, got ${JSON.stringify(given)}`);
  const params = model.parameters().filter((p) => p.requiresGrad);
  const lr = opts.lr ?? (given === "sgd" ? 0.01 : 1e-3);
  return given === "sgd"
    ? new SGD(params, { lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 1e-4 })
    : new Adam(params, { lr, weightDecay: opts.weightDecay ?? 0 });
}

/**
 * Train `model` (training mode) on `data`: SGD (or Adam) on the sum of the four losses. Async: the
 * hooks are awaited, so a caller can checkpoint, stop on a signal or on a NaN loss between steps.
 */
export async function trainDetector(model: FasterRCNN, data: DetectionDataset, opts: TrainDetectorOptions = {}): Promise<DetectorHistory> {
  checkOptions("trainDetector", opts, TRAIN_DETECTOR_OPTIONS);
  if (opts.seed !== undefined && opts.generator) throw new Error("trainDetector: give seed or generator, not both");
  const epochs = opts.epochs ?? 10, batchSize = opts.batchSize ?? 4;
  const opt = detectorOptimizer(model, opts);
  for (const g of opt.paramGroups) g.initialLr ??= g.lr;
  const steps = Math.ceil(data.length / batchSize);
  const warmup = opts.warmupSteps ?? Math.min(1000, steps - 1);
  const gen = opts.generator ?? new Generator(opts.seed ?? 0);
  const first = opts.resume?.initialEpoch ?? 0;
  if (!Number.isInteger(first) || first < 0) throw new RangeError(`trainDetector: resume.initialEpoch must be an integer >= 0, got ${first}`);
  const history: DetectorHistory = { epochs: [...(opts.resume?.history.epochs ?? [])] };
  let step = first * steps;
  model.train();
  for (let epoch = first; epoch < epochs; epoch++) {
    const order = randomPermutation(data.length, gen);
    const sums: Record<string, number> = {};
    for (let b = 0; b < steps; b++) {
      const samples = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => data.get(i));
      // torchvision's warm-up: factor from 1/1000 to 1 linearly over the first steps.
      const factor = step < warmup ? 0.001 * (1 - step / warmup) + step / warmup : 1;
      for (const g of opt.paramGroups) g.lr = (g.initialLr as number) * factor;
      const values = tidy(() => {
        opt.zeroGrad();
        const losses = model.losses(samples.map((s) => s[0]), samples.map((s) => s[1]));
        const total = (Object.values(losses) as Tensor[]).reduce((a, l) => add(a, l));
        total.backward();
        opt.step();
        return Object.fromEntries([...Object.entries(losses).map(([k, v]) => [k, (v as Tensor).item()]), ["loss", total.item()]]) as Record<string, number>;
      });
      for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v;
      if (opts.onStep) await opts.onStep({ epoch, batch: b, step, losses: values, loss: values.loss });
      step++;
    }
    const mean = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps]));
    history.epochs.push(mean);
    if (opts.onEpoch) await opts.onEpoch({ epoch, losses: mean, loss: mean.loss });
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
