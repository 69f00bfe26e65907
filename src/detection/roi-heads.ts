// The box branch of Fast/Faster R-CNN (torchvision.models.detection.roi_heads.RoIHeads): pool a
// fixed-size feature of each proposal (MultiScaleRoIAlign), a box head (TwoMLPHead) and a
// predictor giving class logits and per-class box deltas.
// Training: the ground-truth boxes join the proposals; each is matched at IoU 0.5 (below:
// background), 512 are sampled with at most 25% positive, and
//   loss_classifier = cross-entropy over the sampled proposals,
//   loss_box_reg = smooth L1 (beta 1/9) of the true class's deltas, summed over the positives,
//                  divided by the number sampled.
// Eval: softmax scores, decoded per-class boxes clipped to the image; per class the boxes scoring
// over scoreThresh, larger than 1e-2, after NMS; the detectionsPerImg best overall.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { Module } from "../nn/module.js";
import { crossEntropy, smoothL1Loss } from "../nn/loss.js";
import { indexSelect } from "../ops/indexing.js";
import { div, mul } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { softmax } from "../ops/softmax.js";
import { checkOptions, optionNames } from "../core/options.js";
import { BoxCoder } from "./box-coder.js";
import { Matcher, BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS } from "./matcher.js";
import { BalancedPositiveNegativeSampler } from "./balanced-sampler.js";
import { boxIou, clipBoxesToImage, removeSmallBoxes } from "./boxes.js";
import { batchedNms } from "./nms.js";
import type { ImageList, RCNNDetection, RCNNTarget } from "./image-list.js";

/** What pools proposals' features: MultiScaleRoIAlign's forward(features, boxes per image, image sizes) → [R, C, S, S]. */
export interface BoxRoIPool extends Module {
  forward(features: Record<string, Tensor>, boxes: readonly Tensor[], imageSizes: readonly (readonly [number, number])[]): Tensor;
}

/** The predictor's contract: features [R, F] → class logits [R, K] and box deltas [R, 4K]. */
export interface BoxPredictor extends Module {
  forward(x: Tensor): { scores: Tensor; bboxDeltas: Tensor };
}

export interface RoIHeadsOptions {
  fgIouThresh?: number;
  bgIouThresh?: number;
  batchSizePerImage?: number;
  positiveFraction?: number;
  /** Weights of the box coder (default (10, 10, 5, 5)). */
  bboxRegWeights?: readonly [number, number, number, number];
  scoreThresh?: number;
  nmsThresh?: number;
  detectionsPerImg?: number;
}

export const ROI_HEADS_OPTIONS = optionNames<RoIHeadsOptions>({
  fgIouThresh: 1, bgIouThresh: 1, batchSizePerImage: 1, positiveFraction: 1, bboxRegWeights: 1, scoreThresh: 1, nmsThresh: 1, detectionsPerImg: 1,
});

export interface RoIHeadsOutput {
  detections: RCNNDetection[];
  losses: Record<string, Tensor>;
}

const i32 = (values: ArrayLike<number>): Tensor => tensor(Int32Array.from(values), { dtype: "int32" });

export class RoIHeads extends Module {
  readonly box_roi_pool: BoxRoIPool;
  readonly box_head: Module;
  readonly box_predictor: BoxPredictor;
  readonly _boxCoder: BoxCoder;
  readonly _matcher: Matcher;
  readonly _sampler: BalancedPositiveNegativeSampler;
  readonly scoreThresh: number;
  readonly nmsThresh: number;
  readonly detectionsPerImg: number;

  constructor(boxRoiPool: BoxRoIPool, boxHead: Module, boxPredictor: BoxPredictor, opts: RoIHeadsOptions = {}) {
    super();
    checkOptions("RoIHeads", opts, ROI_HEADS_OPTIONS);
    this.box_roi_pool = boxRoiPool;
    this.box_head = boxHead;
    this.box_predictor = boxPredictor;
    this._matcher = new Matcher(opts.fgIouThresh ?? 0.5, opts.bgIouThresh ?? 0.5, false);
    this._sampler = new BalancedPositiveNegativeSampler(opts.batchSizePerImage ?? 512, opts.positiveFraction ?? 0.25);
    this._boxCoder = new BoxCoder({ weights: opts.bboxRegWeights ?? [10, 10, 5, 5] });
    this.scoreThresh = opts.scoreThresh ?? 0.05;
    this.nmsThresh = opts.nmsThresh ?? 0.5;
    this.detectionsPerImg = opts.detectionsPerImg ?? 100;
  }

  /**
   * torchvision's select_training_samples: proposals + ground truth, matched and sampled. Returns
   * the sampled proposals per image, their labels and the regression targets (zeros for background).
   */
  private selectTrainingSamples(proposals: Tensor[], targets: readonly RCNNTarget[]): { proposals: Tensor[]; labels: number[]; regression: Float32Array } {
    const sampledProposals: Tensor[] = [], allLabels: number[] = [], regression: number[] = [];
    const perImage = proposals.map((p, img) => {
      const t = targets[img];
      const gt = t.boxes.detach().contiguous().dataSync() as Float32Array;
      const gtLabels = t.labels.dataSync();
      const M = t.boxes.shape[0];
      const props = new Float32Array([...(p.detach().contiguous().dataSync() as Float32Array), ...gt]);
      const R = props.length / 4;
      const labels = new Int32Array(R);
      const matched = new Int32Array(R);
      if (M > 0) {
        const m = this._matcher.matchFlat(boxIou(t.boxes.detach(), tensor(props, { shape: [R, 4] })).dataSync() as Float32Array, M, R);
        for (let r = 0; r < R; r++) {
          matched[r] = Math.max(m[r], 0);
          labels[r] = m[r] === BELOW_LOW_THRESHOLD ? 0 : m[r] === BETWEEN_THRESHOLDS ? -1 : gtLabels[matched[r]];
        }
      }
      return { props, labels, matched, gt, M };
    });
    const sampled = this._sampler.sample(perImage.map((p) => p.labels));
    perImage.forEach(({ props, labels, matched, gt, M }, img) => {
      const { positive, negative } = sampled[img];
      // torch.where(pos | neg): ascending proposal order.
      const inds = [...positive, ...negative].sort((a, b) => a - b);
      const sel = new Float32Array(4 * inds.length);
      inds.forEach((r, k) => sel.set(props.subarray(4 * r, 4 * r + 4), 4 * k));
      sampledProposals.push(tensor(sel, { shape: [inds.length, 4] }));
      const matchedBoxes = new Float32Array(4 * inds.length);
      inds.forEach((r, k) => {
        allLabels.push(labels[r]);
        if (M > 0) matchedBoxes.set(gt.subarray(4 * matched[r], 4 * matched[r] + 4), 4 * k);
      });
      const codes = M > 0 ? this._boxCoder.encodeFlat(matchedBoxes, sel) : new Float32Array(sel.length);
      inds.forEach((r, k) => {
        for (let c = 0; c < 4; c++) regression.push(labels[r] > 0 ? codes[4 * k + c] : 0);
      });
    });
    return { proposals: sampledProposals, labels: allLabels, regression: Float32Array.from(regression) };
  }

  /** torchvision's fastrcnn_loss. */
  private loss(classLogits: Tensor, boxRegression: Tensor, labels: number[], regression: Float32Array): Record<string, Tensor> {
    const R = labels.length, K = classLogits.shape[1];
    // No proposal at all (no ground truth and an RPN that kept nothing): zero losses, not torch's NaN mean.
    if (R === 0) return { loss_classifier: mul(sum(classLogits), 0), loss_box_reg: mul(sum(boxRegression), 0) };
    const lossClassifier = crossEntropy(classLogits, i32(labels));
    const rows: number[] = [], targets: number[] = [];
    labels.forEach((l, r) => {
      if (l <= 0) return;
      rows.push(r * K + l);
      for (let c = 0; c < 4; c++) targets.push(regression[4 * r + c]);
    });
    const perClass = boxRegression.reshape([R * K, 4]);
    const boxSum = rows.length > 0
      ? smoothL1Loss(indexSelect(perClass, 0, i32(rows)), tensor(Float32Array.from(targets), { shape: [rows.length, 4] }), { beta: 1 / 9, reduction: "sum" })
      : mul(sum(boxRegression), 0);
    return { loss_classifier: lossClassifier, loss_box_reg: div(boxSum, R) };
  }

  /** torchvision's postprocess_detections. */
  private postprocess(classLogits: Tensor, boxRegression: Tensor, proposals: Tensor[], imageSizes: [number, number][]): RCNNDetection[] {
    const K = classLogits.shape[1];
    const all = proposals.length === 1 ? proposals[0] : tensor(new Float32Array(proposals.flatMap((p) => [...(p.dataSync() as Float32Array)])), { shape: [proposals.reduce((a, p) => a + p.shape[0], 0), 4] });
    const decoded = this._boxCoder.decodeFlat(boxRegression.detach().contiguous().dataSync() as Float32Array, all.dataSync() as Float32Array, K);
    const scores = softmax(classLogits.detach(), -1).dataSync() as Float32Array;
    const out: RCNNDetection[] = [];
    let offset = 0;
    proposals.forEach((p, img) => {
      const R = p.shape[0];
      if (R === 0) {
        out.push({ boxes: tensor(new Float32Array(0), { shape: [0, 4] }), labels: i32([]), scores: tensor(new Float32Array(0)) });
        return;
      }
      const boxes = clipBoxesToImage(tensor(decoded.slice(offset * K * 4, (offset + R) * K * 4), { shape: [R * K, 4] }), imageSizes[img]);
      const keep: number[] = [];
      // Background (class 0) is dropped; candidates are listed proposal by proposal, class by class.
      for (let r = 0; r < R; r++) for (let c = 1; c < K; c++) if (scores[(offset + r) * K + c] > this.scoreThresh) keep.push(r * K + c);
      const cand = indexSelect(boxes, 0, i32(keep));
      const big = Array.from(removeSmallBoxes(cand, 1e-2).dataSync() as Int32Array).map((i) => keep[i]);
      const kb = indexSelect(boxes, 0, i32(big));
      const ks = tensor(Float32Array.from(big.map((i) => scores[offset * K + i])));
      const kl = i32(big.map((i) => i % K));
      const nmsKeep = i32((batchedNms(kb, ks, kl, this.nmsThresh).dataSync() as Int32Array).subarray(0, this.detectionsPerImg));
      out.push({ boxes: indexSelect(kb, 0, nmsKeep), labels: indexSelect(kl, 0, nmsKeep), scores: indexSelect(ks, 0, nmsKeep) });
      offset += R;
    });
    return out;
  }

  forward(features: Map<string, Tensor>, proposals: Tensor[], imageSizes: [number, number][], targets?: readonly RCNNTarget[]): RoIHeadsOutput {
    let labels: number[] = [], regression: Float32Array = new Float32Array(0);
    if (this.training) {
      if (!targets) throw new TypeError("RoIHeads: targets are required in training mode");
      ({ proposals, labels, regression } = this.selectTrainingSamples(proposals, targets));
    }
    const pooled = this.box_roi_pool.forward(Object.fromEntries(features), proposals, imageSizes);
    const { scores: classLogits, bboxDeltas } = this.box_predictor.forward(this.box_head.forward(pooled) as Tensor);
    if (this.training) return { detections: [], losses: this.loss(classLogits, bboxDeltas, labels, regression) };
    return { detections: this.postprocess(classLogits, bboxDeltas, proposals, imageSizes), losses: {} };
  }
}

export type { ImageList };
