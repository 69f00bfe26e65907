// Fast R-CNN (Girshick 2015): the same selective-search proposals, but one CNN pass per image.
// RoI max pooling cuts each proposal's window out of the shared feature map into a fixed 7×7
// grid; two fully connected layers feed two siblings, a softmax over the classes and background
// and a per-class box regressor, trained together by the multi-task loss
//   L = cross-entropy(p, u) + [u ≥ 1] smooth-L1(t_u − v)
// over mini-batches of 2 images × 64 RoIs, 25% of them object (IoU ≥ 0.5), the rest background;
// the box targets are R-CNN's t scaled by (10, 10, 5, 5) (the paper's normalisation to about unit
// variance, as torchvision's). No SVMs, no feature cache, no separate stages.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { tidy } from "../../tensor/scope.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { Generator } from "../../tensor/random.js";
import { Module } from "../../nn/module.js";
import { Conv2d } from "../../nn/conv.js";
import { Linear } from "../../nn/linear.js";
import { Adam } from "../../optim/adam.js";
import { crossEntropy, smoothL1Loss } from "../../nn/loss.js";
import { maxPool2d } from "../../ops/pool.js";
import { add, div, relu, sub } from "../../ops/elementwise.js";
import { cat, gather, indexSelect } from "../../ops/indexing.js";
import { softmax } from "../../ops/softmax.js";
import { flatten, unsqueeze } from "../../ops/view.js";
import { checkOptions, optionNames } from "../../core/options.js";
import type { DetectionDataset } from "../../data/detection-batches.js";
import { selectiveSearch, type SelectiveSearchOptions } from "../selective-search/index.js";
import { roiPool } from "../roi-pool.js";
import { clipBoxesToImage } from "../boxes.js";
import type { RCNNDetection } from "../image-list.js";
import { matchProposals } from "./match-proposals.js";
import { applyBoxRegression, boxRegressionTargets, type BoxWeights } from "./box-regression.js";
import { checkImage, checkProposals, readSamples } from "./detection-dataset.js";
import { randomPermutation } from "../../data/permutation.js";
import { emptyDetection, nmsDetections } from "./rcnn.js";

export interface FastRCNNOptions {
  /** Object classes (labels 1..numClasses; 0 is the background). */
  numClasses: number;
  /** Channels of the three conv blocks (max pooling after the first two: stride 4). Default [32, 64, 64]. */
  channels?: readonly [number, number, number];
  /** RoI pooling grid. Default 7. */
  poolSize?: number;
  /** Width of fc6 and fc7. Default 256. */
  hidden?: number;
  /** Selective search's options. Default {mode: "fast", maxProposals: 500}. */
  proposals?: SelectiveSearchOptions;
  epochs?: number;
  /** Adam's learning rate. Default 1e-3. */
  lr?: number;
  /** Images per mini-batch. Default 2 (the paper's). */
  imagesPerBatch?: number;
  /** RoIs sampled per image. Default 64 (the paper's 128 per 2 images). */
  roisPerImage?: number;
  /** Share of object RoIs in a sample. Default 0.25. */
  fgFraction?: number;
  /** Per-class NMS IoU threshold. Default 0.3. */
  nmsThreshold?: number;
  /** Class probabilities below this are not detections. Default 0.05. */
  scoreThreshold?: number;
  detectionsPerImage?: number;
  seed?: number;
  log?: (message: string) => void;
}

export const FAST_RCNN_OPTIONS = optionNames<FastRCNNOptions>({
  numClasses: 1, channels: 1, poolSize: 1, hidden: 1, proposals: 1, epochs: 1, lr: 1, imagesPerBatch: 1, roisPerImage: 1, fgFraction: 1,
  nmsThreshold: 1, scoreThreshold: 1, detectionsPerImage: 1, seed: 1, log: 1,
});

/** Fast R-CNN's target normalisation (as torchvision's box coder weights). */
export const FAST_RCNN_BOX_WEIGHTS: BoxWeights = [10, 10, 5, 5];
/** The feature map's stride (two 2×2 max pools). */
const STRIDE = 4;

export interface FastRCNNFitReport {
  proposals: number;
  training: number;
  /** Mean loss (classification, box regression) per epoch. */
  epochs: { classifier: number; boxReg: number }[];
}

export class FastRCNN extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d;
  readonly fc6: Linear;
  readonly fc7: Linear;
  readonly clsScore: Linear;
  readonly bboxPred: Linear;
  readonly numClasses: number;
  private readonly opts: FastRCNNOptions;
  private readonly poolSize: number;
  private fitted = false;

  constructor(opts: FastRCNNOptions) {
    super();
    checkOptions("FastRCNN", opts, FAST_RCNN_OPTIONS);
    if (!Number.isInteger(opts?.numClasses) || opts.numClasses < 1) throw new RangeError(`FastRCNN: numClasses must be a positive integer (background excluded), got ${String(opts?.numClasses)}`);
    this.opts = opts;
    this.numClasses = opts.numClasses;
    const [c1, c2, c3] = opts.channels ?? [32, 64, 64];
    const hidden = opts.hidden ?? 256;
    this.poolSize = opts.poolSize ?? 7;
    this.conv1 = new Conv2d(3, c1, 3, { padding: 1 });
    this.conv2 = new Conv2d(c1, c2, 3, { padding: 1 });
    this.conv3 = new Conv2d(c2, c3, 3, { padding: 1 });
    this.fc6 = new Linear(c3 * this.poolSize ** 2, hidden);
    this.fc7 = new Linear(hidden, hidden);
    this.clsScore = new Linear(hidden, opts.numClasses + 1);
    this.bboxPred = new Linear(hidden, 4 * (opts.numClasses + 1));
  }

  /** The shared feature map [1, C, H/4, W/4] of one image [3, H, W]. */
  featureMap(image: Tensor): Tensor {
    const h = maxPool2d(relu(this.conv1.forward(sub(unsqueeze(image, 0), 0.5))), 2);
    return relu(this.conv3.forward(maxPool2d(relu(this.conv2.forward(h)), 2)));
  }

  /** Class logits [R, C + 1] and box deltas [R, 4(C + 1)] of `rois` [R, 4] in `image` [3, H, W]. */
  forward(image: Tensor, rois: Tensor): { scores: Tensor; bboxDeltas: Tensor } {
    const pooled = roiPool(this.featureMap(image), [rois], this.poolSize, 1 / STRIDE);
    const h = relu(this.fc7.forward(relu(this.fc6.forward(flatten(pooled, 1)))));
    return { scores: this.clsScore.forward(h), bboxDeltas: this.bboxPred.forward(h) };
  }

  propose(image: Tensor): Tensor {
    return selectiveSearch(image, this.opts.proposals ?? { mode: "fast", maxProposals: 500 });
  }

  /** Trains end to end on `dataset`; `proposals` (one [K, 4] per image) skips selective search. */
  fit(dataset: DetectionDataset, proposals?: readonly Tensor[]): FastRCNNFitReport {
    const op = "FastRCNN.fit";
    const log = this.opts.log ?? (() => {});
    const samples = readSamples(op, dataset, this.numClasses);
    checkProposals(op, proposals, samples.length);
    let t = performance.now();
    const props = proposals ? [...proposals] : samples.map(([image]) => this.propose(image));
    const proposalSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    // Ground-truth boxes join each image's RoIs (as in the paper's training).
    const rois = samples.map(([, target], i) => cat([target.boxes, props[i]], 0));
    const matches = samples.map(([, target], i) => matchProposals(rois[i], target.boxes, target.labels));
    const epochs = this.opts.epochs ?? 10, perBatch = this.opts.imagesPerBatch ?? 2;
    const R = this.opts.roisPerImage ?? 64, fgFraction = this.opts.fgFraction ?? 0.25;
    const gen = new Generator(this.opts.seed ?? 0);
    const opt = new Adam(this.parameters(), { lr: this.opts.lr ?? 1e-3 });
    const history: FastRCNNFitReport["epochs"] = [];
    this.train();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = randomPermutation(samples.length, gen);
      let cls = 0, reg = 0, steps = 0;
      for (let s = 0; s < order.length; s += perBatch) {
        const batch = order.slice(s, s + perBatch);
        tidy(() => {
          opt.zeroGrad();
          const logits: Tensor[] = [], labels: number[] = [], fgDeltas: Tensor[] = [], fgTargets: Tensor[] = [];
          for (const i of batch) {
            const m = matches[i];
            const fgAll = [...m.maxIou.keys()].filter((p) => m.maxIou[p] >= 0.5);
            const bgAll = [...m.maxIou.keys()].filter((p) => m.maxIou[p] < 0.5);
            const fg = randomPermutation(fgAll.length, gen).slice(0, Math.round(fgFraction * R)).map((k) => fgAll[k]);
            const bg = randomPermutation(bgAll.length, gen).slice(0, R - fg.length).map((k) => bgAll[k]);
            const chosen = [...fg, ...bg];
            if (chosen.length === 0) continue;
            const sampled = indexSelect(rois[i], 0, tensor(Int32Array.from(chosen), { dtype: "int32" }));
            const out = this.forward(samples[i][0], sampled);
            logits.push(out.scores);
            labels.push(...fg.map((p) => m.label[p]), ...bg.map(() => 0));
            if (fg.length > 0) {
              const fgRows = tensor(Int32Array.from(fg.map((_, k) => k)), { dtype: "int32" });
              const cols = tensor(Int32Array.from(fg.flatMap((p) => [0, 1, 2, 3].map((j) => 4 * m.label[p] + j))), { shape: [fg.length, 4], dtype: "int32" });
              fgDeltas.push(gather(indexSelect(out.bboxDeltas, 0, fgRows), 1, cols));
              const gt = indexSelect(samples[i][1].boxes, 0, tensor(Int32Array.from(fg, (p) => m.gtIndex[p]), { dtype: "int32" }));
              fgTargets.push(boxRegressionTargets(indexSelect(sampled, 0, fgRows), gt, FAST_RCNN_BOX_WEIGHTS));
            }
          }
          if (logits.length === 0) return;
          const lossCls = crossEntropy(cat(logits, 0), tensor(Int32Array.from(labels), { dtype: "int32" }));
          // Smooth L1 summed over the object RoIs' coordinates, divided by all sampled RoIs (torchvision's normalisation).
          const lossReg = fgDeltas.length > 0
            ? div(smoothL1Loss(cat(fgDeltas, 0), cat(fgTargets, 0), { reduction: "sum" }), labels.length)
            : tensor(Float32Array.of(0), { shape: [] });
          add(lossCls, lossReg).backward();
          opt.step();
          cls += lossCls.item();
          reg += lossReg.item();
          steps++;
        });
      }
      history.push({ classifier: cls / Math.max(1, steps), boxReg: reg / Math.max(1, steps) });
      log(`Fast R-CNN epoch ${epoch + 1}/${epochs}: classifier ${history[epoch].classifier.toFixed(4)}, box ${history[epoch].boxReg.toFixed(4)}`);
    }
    this.eval();
    this.fitted = true;
    return { proposals: proposalSeconds, training: (performance.now() - t) / 1000, epochs: history };
  }

  /** Detections in `image` [3, H, W]: boxes, labels (1..numClasses), class probabilities, best first. */
  detect(image: Tensor, proposals?: Tensor): RCNNDetection {
    const op = "FastRCNN.detect";
    checkImage(op, image);
    if (!this.fitted) throw new Error(`${op}: the model is not trained; call fit(dataset) first`);
    if (proposals !== undefined) checkProposals(op, [proposals], 1);
    const props = proposals ?? this.propose(image);
    if (props.shape[0] === 0) return emptyDetection();
    const [H, W] = [image.shape[1], image.shape[2]];
    const C = this.numClasses, thr = this.opts.scoreThreshold ?? 0.05;
    return noGrad(() => {
      const out = this.forward(image, props);
      const prob = softmax(out.scores, 1).dataSync(), deltas = out.bboxDeltas.dataSync();
      const K = props.shape[0];
      const boxes: Tensor[] = [], scores: number[] = [], labels: number[] = [];
      for (let c = 1; c <= C; c++) {
        const rows = [...Array(K).keys()].filter((k) => prob[k * (C + 1) + c] > thr);
        if (rows.length === 0) continue;
        const p = indexSelect(props, 0, tensor(Int32Array.from(rows), { dtype: "int32" }));
        const d = tensor(Float32Array.from(rows.flatMap((k) => [0, 1, 2, 3].map((j) => deltas[k * 4 * (C + 1) + 4 * c + j]))), { shape: [rows.length, 4] });
        boxes.push(clipBoxesToImage(applyBoxRegression(p, d, FAST_RCNN_BOX_WEIGHTS), [H, W]));
        for (const k of rows) { scores.push(prob[k * (C + 1) + c]); labels.push(c); }
      }
      if (boxes.length === 0) return emptyDetection();
      return nmsDetections(cat(boxes, 0), scores, labels, this.opts.nmsThreshold ?? 0.3, this.opts.detectionsPerImage ?? 100);
    });
  }
}
