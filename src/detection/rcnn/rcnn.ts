// R-CNN (Girshick, Donahue, Darrell & Malik 2014), the pipeline as the course tells it:
//   1. selective search proposes regions (about 2,000 per image in the paper);
//   2. each region, with 16 pixels of context, is warped to the CNN's fixed input;
//   3. the CNN (fine-tuned on warped regions: IoU ≥ 0.5 with an object is that object, the rest
//      background; 1 object region to 3 background) computes each region's features;
//   4. one linear SVM per class scores the features (positives: the ground-truth boxes; negatives:
//      regions under 0.3 IoU with every box of the class; hard-negative mining);
//   5. a ridge regression per class (λ = 1000) on pool5 features moves each region toward its
//      object (trained on regions over 0.6 IoU), and per-class NMS (IoU 0.3) keeps the best.
// Every stage is trained separately, and every region goes through the CNN on its own: the
// slowness that Fast R-CNN removes.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { tidy, keep } from "../../tensor/scope.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { Generator } from "../../tensor/random.js";
import { Adam } from "../../optim/adam.js";
import { crossEntropy } from "../../nn/loss.js";
import { cat, indexSelect } from "../../ops/indexing.js";
import { mul } from "../../ops/elementwise.js";
import { narrow } from "../../ops/view.js";
import { checkOptions, optionNames } from "../../core/options.js";
import type { DetectionDataset } from "../../data/detection-batches.js";
import { selectiveSearch, type SelectiveSearchOptions } from "../selective-search/index.js";
import { batchedNms } from "../nms.js";
import { clipBoxesToImage } from "../boxes.js";
import type { RCNNDetection } from "../image-list.js";
import { warpRegions, defaultWarpPadding } from "./warp-regions.js";
import { RegionCNN, type RegionFeatures } from "./region-cnn.js";
import { matchProposals } from "./match-proposals.js";
import { trainSvmWithHardNegatives, type HardNegativeMiningOptions } from "./hard-negative-mining.js";
import type { LinearSVM } from "./linear-svm.js";
import { fitRidgeRegression, type RidgeRegression } from "./ridge-regression.js";
import { applyBoxRegression, boxRegressionTargets } from "./box-regression.js";
import { checkImage, checkProposals, readSamples } from "./detection-dataset.js";
import { randomPermutation } from "../../data/permutation.js";

export interface RCNNOptions {
  /** Object classes (labels 1..numClasses; 0 is the background). */
  numClasses: number;
  /** Side of the warped regions (a multiple of 8). Default 32. */
  warpSize?: number;
  /** Context pixels around each warped region. Default 16 of 227, scaled (2 at 32). */
  padding?: number;
  /** Selective search's options. Default {mode: "fast", maxProposals: 500}. */
  proposals?: SelectiveSearchOptions;
  /** Fine-tuning epochs of the CNN over the warped regions. Default 10. */
  cnnEpochs?: number;
  /** Adam's learning rate for the CNN. Default 2e-3. */
  cnnLr?: number;
  /** Warped regions per fine-tuning batch. Default 64. */
  cnnBatchSize?: number;
  /** Background regions per object region in fine-tuning. Default 3 (the paper's 96 of 128). */
  backgroundRatio?: number;
  /** The SVMs' options (hard-negative mining included). */
  svm?: HardNegativeMiningOptions;
  /** Ridge penalty of the box regressors. Default 1000 (the paper's appendix C). */
  bboxLambda?: number;
  /** Per-class NMS IoU threshold. Default 0.3. */
  nmsThreshold?: number;
  /** SVM scores below this are not detections. Default −1.5. */
  scoreThreshold?: number;
  detectionsPerImage?: number;
  seed?: number;
  /** Progress messages (stage and numbers), e.g. console.log. */
  log?: (message: string) => void;
}

export const RCNN_OPTIONS = optionNames<RCNNOptions>({
  numClasses: 1, warpSize: 1, padding: 1, proposals: 1, cnnEpochs: 1, cnnLr: 1, cnnBatchSize: 1, backgroundRatio: 1, svm: 1,
  bboxLambda: 1, nmsThreshold: 1, scoreThreshold: 1, detectionsPerImage: 1, seed: 1, log: 1,
});

/** Seconds of each training stage. */
export interface RCNNFitReport {
  proposals: number;
  fineTune: number;
  features: number;
  svms: number;
  boxRegression: number;
  /** Warped regions the CNN was fine-tuned on; SVM negative caches per class and round. */
  fineTuneRegions: number;
  svmCaches: number[][];
  /** Regions each class's box regressor was trained on. */
  regressionRegions: number[];
}

/** Warped regions go through the CNN in chunks of this many. */
const CHUNK = 256;
/** The SVM features are scaled to this mean L2 norm (R-CNN's feature scaling). */
const FEATURE_NORM = 20;

export class RCNN {
  readonly cnn: RegionCNN;
  readonly numClasses: number;
  private readonly opts: RCNNOptions;
  private readonly warp: { size: number; padding: number };
  private svms: LinearSVM[] = [];
  private regressors: (RidgeRegression | null)[] = [];
  private featureScale = 1;

  constructor(opts: RCNNOptions) {
    checkOptions("RCNN", opts, RCNN_OPTIONS);
    if (!Number.isInteger(opts?.numClasses) || opts.numClasses < 1) throw new RangeError(`RCNN: numClasses must be a positive integer (background excluded), got ${String(opts?.numClasses)}`);
    this.opts = opts;
    this.numClasses = opts.numClasses;
    const size = opts.warpSize ?? 32;
    this.warp = { size, padding: opts.padding ?? defaultWarpPadding(size) };
    this.cnn = new RegionCNN(size, opts.numClasses + 1);
  }

  get trained(): boolean {
    return this.svms.length === this.numClasses;
  }

  /** Selective search's proposals for `image` with this model's options. */
  propose(image: Tensor): Tensor {
    return selectiveSearch(image, this.opts.proposals ?? { mode: "fast", maxProposals: 500 });
  }

  /** pool5 and (scaled) fc6 features of `boxes` in `image`, in chunks, without gradients. */
  regionFeatures(image: Tensor, boxes: Tensor): RegionFeatures {
    return noGrad(() => tidy(() => {
      const parts: RegionFeatures[] = [];
      for (let s = 0; s < boxes.shape[0]; s += CHUNK) {
        const b = boxes.shape[0] <= CHUNK ? boxes : narrow(boxes, 0, s, Math.min(CHUNK, boxes.shape[0] - s));
        parts.push(this.cnn.features(warpRegions(image, b, this.warp)));
      }
      const pool5 = parts.length === 1 ? parts[0].pool5 : cat(parts.map((p) => p.pool5), 0);
      const fc6 = mul(parts.length === 1 ? parts[0].fc6 : cat(parts.map((p) => p.fc6), 0), this.featureScale);
      return { pool5, fc6 };
    }));
  }

  /** Trains every stage on `dataset`; `proposals` (one [K, 4] per image) skips selective search. */
  fit(dataset: DetectionDataset, proposals?: readonly Tensor[]): RCNNFitReport {
    const op = "RCNN.fit";
    const log = this.opts.log ?? (() => {});
    const samples = readSamples(op, dataset, this.numClasses);
    checkProposals(op, proposals, samples.length);
    const C = this.numClasses;
    const gen = new Generator(this.opts.seed ?? 0);
    let t = performance.now();
    const lap = (): number => { const now = performance.now(), s = (now - t) / 1000; t = now; return s; };

    // 1. Proposals.
    const props = proposals ? [...proposals] : samples.map(([image]) => this.propose(image));
    const report: Partial<RCNNFitReport> = { proposals: lap() };
    const matches = samples.map(([, target], i) => matchProposals(props[i], target.boxes, target.labels));
    log(`R-CNN: ${props.reduce((a, p) => a + p.shape[0], 0)} proposals on ${samples.length} images`);

    // 2. Fine-tune the CNN on warped regions: ground truth and IoU ≥ 0.5 as the object, the rest
    // background, backgroundRatio background regions per object region (seeded sample).
    const crops: Tensor[] = [], labels: number[] = [];
    const ratio = this.opts.backgroundRatio ?? 3;
    samples.forEach(([image, target], i) => {
      const m = matches[i];
      const fg = [...m.maxIou.keys()].filter((p) => m.maxIou[p] >= 0.5);
      const bgAll = [...m.maxIou.keys()].filter((p) => m.maxIou[p] < 0.5);
      const want = Math.max(1, Math.round(ratio * (fg.length + target.boxes.shape[0])));
      const bg = randomPermutation(bgAll.length, gen).slice(0, want).map((k) => bgAll[k]);
      const chosen = [...fg, ...bg];
      const boxes = chosen.length > 0 ? indexSelect(props[i], 0, tensor(Int32Array.from(chosen), { dtype: "int32" })) : null;
      const all = boxes ? cat([target.boxes, boxes], 0) : target.boxes;
      if (all.shape[0] === 0) return;
      crops.push(noGrad(() => warpRegions(image, all, this.warp)));
      labels.push(...Array.from(target.labels.dataSync(), Number), ...fg.map((p) => m.label[p]), ...bg.map(() => 0));
    });
    const x = cat(crops, 0), y = tensor(Int32Array.from(labels), { dtype: "int32" });
    crops.length = 0;
    this.trainCnn(x, y, gen, log);
    x.dispose();
    report.fineTune = lap();
    report.fineTuneRegions = labels.length;

    // 3. Features of every ground-truth box and proposal. Rows of the SVM pool carry their IoU with
    // each class's boxes; proposals over 0.6 IoU also keep pool5 and a regression target.
    this.featureScale = 1;
    const fc6Rows: Tensor[] = [], classIou: Float32Array[] = [], rowLabel: number[] = [];
    const reg: { pool5: Tensor[]; targets: Tensor[] }[] = Array.from({ length: C }, () => ({ pool5: [], targets: [] }));
    samples.forEach(([image, target], i) => {
      const m = matches[i], G = target.boxes.shape[0], P = props[i].shape[0];
      const gtLabels = Array.from(target.labels.dataSync(), Number);
      const all = cat([target.boxes, props[i]], 0);
      if (all.shape[0] === 0) return;
      const f = this.regionFeatures(image, all);
      fc6Rows.push(keep(f.fc6));
      for (let r = 0; r < G + P; r++) {
        const ious = new Float32Array(C);
        if (r < G) ious[gtLabels[r] - 1] = 1;
        else for (let g = 0; g < G; g++) ious[gtLabels[g] - 1] = Math.max(ious[gtLabels[g] - 1], m.iou[(r - G) * G + g]);
        classIou.push(ious);
        rowLabel.push(r < G ? gtLabels[r] : 0);
      }
      const regRows = [...m.maxIou.keys()].filter((p) => m.maxIou[p] > 0.6);
      for (let c = 1; c <= C; c++) {
        const rows = regRows.filter((p) => m.label[p] === c);
        if (rows.length === 0) continue;
        const idx = tensor(Int32Array.from(rows), { dtype: "int32" });
        reg[c - 1].pool5.push(keep(indexSelect(f.pool5, 0, tensor(Int32Array.from(rows, (p) => G + p), { dtype: "int32" }))));
        const gtIdx = tensor(Int32Array.from(rows, (p) => m.gtIndex[p]), { dtype: "int32" });
        reg[c - 1].targets.push(keep(boxRegressionTargets(indexSelect(props[i], 0, idx), indexSelect(target.boxes, 0, gtIdx))));
      }
      f.pool5.dispose();
    });
    const fc6 = cat(fc6Rows, 0);
    fc6Rows.forEach((r) => r.dispose());
    // R-CNN's feature scaling: the mean norm becomes 20, whatever the network's scale.
    const d = fc6.dataSync(), D = fc6.shape[1];
    let normSum = 0;
    for (let r = 0; r < fc6.shape[0]; r++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += d[r * D + k] ** 2;
      normSum += Math.sqrt(s);
    }
    this.featureScale = FEATURE_NORM / Math.max(1e-12, normSum / fc6.shape[0]);
    const scaled = mul(fc6, this.featureScale);
    fc6.dispose();
    report.features = lap();

    // 4. One SVM per class: positives the ground truth of the class, negatives regions under 0.3 IoU
    // with all of its boxes.
    this.svms = [];
    report.svmCaches = [];
    for (let c = 1; c <= C; c++) {
      const pos = rowLabel.flatMap((l, r) => (l === c ? [r] : []));
      const neg = classIou.flatMap((ious, r) => (ious[c - 1] < 0.3 ? [r] : []));
      if (pos.length === 0) throw new RangeError(`${op}: class ${c} has no ground-truth box in the training set`);
      const rows = (ix: number[]) => indexSelect(scaled, 0, tensor(Int32Array.from(ix), { dtype: "int32" }));
      const mined = trainSvmWithHardNegatives(rows(pos), rows(neg), { seed: this.opts.seed ?? 0, ...this.opts.svm });
      this.svms.push(mined.svm);
      report.svmCaches.push(mined.cacheSizes);
      log(`R-CNN: SVM of class ${c}: ${pos.length} positives, negative caches ${mined.cacheSizes.join(" → ")} of ${neg.length}`);
    }
    scaled.dispose();
    report.svms = lap();

    // 5. Box regressors on pool5 features.
    this.regressors = reg.map((r) => {
      if (r.pool5.length === 0) return null;
      const fx = cat(r.pool5, 0), ty = cat(r.targets, 0);
      const model = fitRidgeRegression(fx, ty, this.opts.bboxLambda ?? 1000);
      [...r.pool5, ...r.targets, fx, ty].forEach((z) => z.dispose());
      return model;
    });
    report.regressionRegions = reg.map((r) => r.targets.reduce((a, z) => a + z.shape[0], 0));
    report.boxRegression = lap();
    return report as RCNNFitReport;
  }

  private trainCnn(x: Tensor, y: Tensor, gen: Generator, log: (m: string) => void): void {
    const epochs = this.opts.cnnEpochs ?? 10, bs = this.opts.cnnBatchSize ?? 64;
    const opt = new Adam(this.cnn.parameters(), { lr: this.opts.cnnLr ?? 2e-3 });
    const N = x.shape[0];
    this.cnn.train();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = randomPermutation(N, gen);
      let total = 0, correct = 0;
      for (let s = 0; s < N; s += bs) {
        const idx = tensor(Int32Array.from(order.slice(s, s + bs)), { dtype: "int32" });
        tidy(() => {
          opt.zeroGrad();
          const yb = indexSelect(y, 0, idx);
          const logits = this.cnn.forward(indexSelect(x, 0, idx));
          const loss = crossEntropy(logits, yb);
          loss.backward();
          opt.step();
          total += loss.item() * idx.shape[0];
          const l = logits.dataSync(), t = yb.dataSync(), K = logits.shape[1];
          for (let r = 0; r < idx.shape[0]; r++) {
            let best = 0;
            for (let k = 1; k < K; k++) if (l[r * K + k] > l[r * K + best]) best = k;
            if (best === Number(t[r])) correct++;
          }
        });
      }
      log(`R-CNN fine-tuning epoch ${epoch + 1}/${epochs}: loss ${(total / N).toFixed(4)}, accuracy ${(correct / N).toFixed(3)} on ${N} regions`);
    }
    this.cnn.eval();
  }

  /** Detections in `image` [3, H, W]: boxes, labels (1..numClasses), SVM scores, best first. */
  detect(image: Tensor, proposals?: Tensor): RCNNDetection {
    const op = "RCNN.detect";
    checkImage(op, image);
    if (!this.trained) throw new Error(`${op}: the model is not trained; call fit(dataset) first`);
    if (proposals !== undefined) checkProposals(op, [proposals], 1);
    const props = proposals ?? this.propose(image);
    const [H, W] = [image.shape[1], image.shape[2]];
    const K = props.shape[0], C = this.numClasses;
    const thr = this.opts.scoreThreshold ?? -1.5;
    if (K === 0) return emptyDetection();
    const f = this.regionFeatures(image, props);
    const boxes: Tensor[] = [], scores: number[] = [], labels: number[] = [];
    for (let c = 1; c <= C; c++) {
      const s = this.svms[c - 1].decision(f.fc6).dataSync();
      const keepRows = [...s.keys()].filter((k) => s[k] > thr);
      if (keepRows.length === 0) continue;
      const idx = tensor(Int32Array.from(keepRows), { dtype: "int32" });
      const p = indexSelect(props, 0, idx);
      const regressor = this.regressors[c - 1];
      const moved = regressor ? applyBoxRegression(p, regressor.predict(indexSelect(f.pool5, 0, idx))) : p;
      boxes.push(clipBoxesToImage(moved, [H, W]));
      for (const k of keepRows) { scores.push(s[k]); labels.push(c); }
    }
    if (boxes.length === 0) return emptyDetection();
    return nmsDetections(cat(boxes, 0), scores, labels, this.opts.nmsThreshold ?? 0.3, this.opts.detectionsPerImage ?? 100);
  }
}

export function emptyDetection(): RCNNDetection {
  return { boxes: tensor(new Float32Array(0), { shape: [0, 4] }), labels: tensor(new Int32Array(0), { dtype: "int32" }), scores: tensor(new Float32Array(0)) };
}

/** Per-class NMS and the best `limit` → a detection, boxes with no area dropped first. */
export function nmsDetections(boxes: Tensor, scores: readonly number[], labels: readonly number[], iou: number, limit: number): RCNNDetection {
  const b = boxes.dataSync();
  const valid = scores.flatMap((_, k) => (b[4 * k + 2] - b[4 * k] > 1e-3 && b[4 * k + 3] - b[4 * k + 1] > 1e-3 ? [k] : []));
  if (valid.length === 0) return emptyDetection();
  const vIdx = tensor(Int32Array.from(valid), { dtype: "int32" });
  const vb = indexSelect(boxes, 0, vIdx);
  const vs = tensor(Float32Array.from(valid, (k) => scores[k]));
  const vl = tensor(Int32Array.from(valid, (k) => labels[k]), { dtype: "int32" });
  const kept = batchedNms(vb, vs, vl, iou);
  const top = kept.shape[0] > limit ? tensor(Int32Array.from(kept.dataSync()).slice(0, limit), { dtype: "int32" }) : kept;
  return { boxes: indexSelect(vb, 0, top), labels: indexSelect(vl, 0, top), scores: indexSelect(vs, 0, top) };
}
