// The Region Proposal Network (torchvision.models.detection.rpn): a small head slides over each
// feature map and, for every anchor, scores "object or not" and predicts the offsets that turn
// the anchor into a box. Proposals are the decoded anchors: per feature map the preNmsTopN best,
// clipped to the image, tiny ones dropped, NMS per feature map, then the postNmsTopN best.
// Training labels each anchor by IoU with the ground truth (≥ 0.7 object, < 0.3 background, the
// best anchor of each object too) and samples 256 of them, half positive at most:
//   loss_objectness = BCE-with-logits over the sampled anchors (mean),
//   loss_rpn_box_reg = smooth L1 (beta 1/9) summed over the sampled positives / number sampled.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { Conv2d } from "../nn/conv.js";
import { Sequential } from "../nn/containers.js";
import * as init from "../nn/init.js";
import { binaryCrossEntropyWithLogits, smoothL1Loss } from "../nn/loss.js";
import { cat, indexSelect } from "../ops/indexing.js";
import { div, mul } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { checkOptions, optionNames } from "../core/options.js";
import { AnchorGenerator } from "./anchor-generator.js";
import { BoxCoder } from "./box-coder.js";
import { Matcher, BETWEEN_THRESHOLDS } from "./matcher.js";
import { BalancedPositiveNegativeSampler } from "./balanced-sampler.js";
import { boxIou, clipBoxesToImage, removeSmallBoxes } from "./boxes.js";
import { batchedNms } from "./nms.js";
import { convBlock } from "./conv-block.js";
import { f32, type ImageList, type RCNNTarget } from "./image-list.js";

/** 3x3 convolution + ReLU (convDepth of them), then per anchor one objectness logit and 4 box deltas. */
export class RPNHead extends Module {
  readonly conv: Sequential;
  readonly cls_logits: Conv2d;
  readonly bbox_pred: Conv2d;

  constructor(inChannels: number, numAnchors: number, convDepth = 1) {
    super();
    this.conv = new Sequential(...Array.from({ length: convDepth }, () => convBlock(inChannels, inChannels, 3, true)));
    this.cls_logits = new Conv2d(inChannels, numAnchors, 1);
    this.bbox_pred = new Conv2d(inChannels, numAnchors * 4, 1);
    noGrad(() => {
      for (const m of this.modules()) {
        if (!(m instanceof Conv2d)) continue;
        init.normal(m.weight, 0, 0.01);
        if (m.bias) init.zeros(m.bias);
      }
    });
  }

  /** Objectness [N, A, H, W] and deltas [N, 4A, H, W] of each feature map. */
  forward(features: readonly Tensor[]): { logits: Tensor[]; bboxReg: Tensor[] } {
    const logits: Tensor[] = [], bboxReg: Tensor[] = [];
    for (const f of features) {
      const t = this.conv.forward(f) as Tensor;
      logits.push(this.cls_logits.forward(t));
      bboxReg.push(this.bbox_pred.forward(t));
    }
    return { logits, bboxReg };
  }
}

/** [N, A·C, H, W] → [N, H·W·A, C]: anchors in the order the anchor generator lists them. */
function permuteAndFlatten(layer: Tensor, C: number): Tensor {
  const [N, AC, H, W] = layer.shape;
  const A = AC / C;
  return layer.reshape([N, A, C, H, W]).permute([0, 3, 4, 1, 2]).reshape([N, H * W * A, C]);
}

export interface RegionProposalNetworkOptions {
  fgIouThresh?: number;
  bgIouThresh?: number;
  batchSizePerImage?: number;
  positiveFraction?: number;
  preNmsTopN?: { training: number; testing: number };
  postNmsTopN?: { training: number; testing: number };
  nmsThresh?: number;
  scoreThresh?: number;
}

export const RPN_OPTIONS = optionNames<RegionProposalNetworkOptions>({
  fgIouThresh: 1, bgIouThresh: 1, batchSizePerImage: 1, positiveFraction: 1, preNmsTopN: 1, postNmsTopN: 1, nmsThresh: 1, scoreThresh: 1,
});

export interface RPNOutput {
  /** Proposals [P, 4] per image (in the resized image's coordinates), by descending objectness. */
  boxes: Tensor[];
  /** Their objectness probabilities [P]. */
  scores: Tensor[];
  /** Training only: loss_objectness and loss_rpn_box_reg. */
  losses: Record<string, Tensor>;
}

export class RegionProposalNetwork extends Module {
  readonly anchor_generator: AnchorGenerator;
  readonly head: RPNHead;
  readonly _boxCoder = new BoxCoder({ weights: [1, 1, 1, 1] });
  readonly _matcher: Matcher;
  readonly _sampler: BalancedPositiveNegativeSampler;
  readonly _preNmsTopN: { training: number; testing: number };
  readonly _postNmsTopN: { training: number; testing: number };
  readonly _nmsThresh: number;
  readonly _scoreThresh: number;
  /** Proposals narrower or lower than this are dropped (torchvision's 1e-3). */
  readonly _minSize = 1e-3;

  constructor(anchorGenerator: AnchorGenerator, head: RPNHead, opts: RegionProposalNetworkOptions = {}) {
    super();
    checkOptions("RegionProposalNetwork", opts, RPN_OPTIONS);
    this.anchor_generator = anchorGenerator;
    this.head = head;
    this._matcher = new Matcher(opts.fgIouThresh ?? 0.7, opts.bgIouThresh ?? 0.3, true);
    this._sampler = new BalancedPositiveNegativeSampler(opts.batchSizePerImage ?? 256, opts.positiveFraction ?? 0.5);
    this._preNmsTopN = opts.preNmsTopN ?? { training: 2000, testing: 1000 };
    this._postNmsTopN = opts.postNmsTopN ?? { training: 2000, testing: 1000 };
    this._nmsThresh = opts.nmsThresh ?? 0.7;
    this._scoreThresh = opts.scoreThresh ?? 0;
  }

  private preNms(): number {
    return this.training ? this._preNmsTopN.training : this._preNmsTopN.testing;
  }
  private postNms(): number {
    return this.training ? this._postNmsTopN.training : this._postNmsTopN.testing;
  }

  /** torchvision's filter_proposals over host arrays: per-level top-n, clip, small boxes, score, NMS per level, top-n. */
  private filterProposals(proposals: Float32Array, objectness: ArrayLike<number>, imageSizes: [number, number][], perLevel: number[]): { boxes: Tensor[]; scores: Tensor[] } {
    const T = perLevel.reduce((a, b) => a + b, 0);
    const boxesOut: Tensor[] = [], scoresOut: Tensor[] = [];
    imageSizes.forEach((size, img) => {
      const chosen: number[] = [], levels: number[] = [];
      let offset = 0;
      perLevel.forEach((count, level) => {
        const idx = Array.from({ length: count }, (_, i) => offset + i);
        // torch.topk: the k largest, largest first (stable for ties here).
        idx.sort((a, b) => objectness[img * T + b] - objectness[img * T + a] || a - b);
        for (const i of idx.slice(0, Math.min(this.preNms(), count))) {
          chosen.push(i);
          levels.push(level);
        }
        offset += count;
      });
      const n = chosen.length;
      const b = new Float32Array(4 * n), s = new Float32Array(n);
      chosen.forEach((i, k) => {
        b.set(proposals.subarray(4 * (img * T + i), 4 * (img * T + i) + 4), 4 * k);
        s[k] = f32(1 / (1 + Math.exp(-objectness[img * T + i])));
      });
      const clipped = clipBoxesToImage(tensor(b, { shape: [n, 4] }), size);
      const big = Array.from(removeSmallBoxes(clipped, this._minSize).dataSync() as Int32Array);
      const keep = big.filter((k) => s[k] >= this._scoreThresh);
      const keepIdx = tensor(Int32Array.from(keep), { dtype: "int32" });
      const kb = indexSelect(clipped, 0, keepIdx);
      const ks = tensor(Float32Array.from(keep.map((k) => s[k])));
      const kl = tensor(Int32Array.from(keep.map((k) => levels[k])), { dtype: "int32" });
      const nmsKeep = (batchedNms(kb, ks, kl, this._nmsThresh).dataSync() as Int32Array).subarray(0, this.postNms());
      const finalIdx = tensor(Int32Array.from(nmsKeep), { dtype: "int32" });
      boxesOut.push(indexSelect(kb, 0, finalIdx));
      scoresOut.push(indexSelect(ks, 0, finalIdx));
    });
    return { boxes: boxesOut, scores: scoresOut };
  }

  /** Per image: label of each anchor (1 object, 0 background, −1 ignored) and its regression target. */
  private assignTargets(anchors: Float32Array, numAnchors: number, targets: readonly RCNNTarget[]): { labels: Float32Array[]; regression: Float32Array[] } {
    const labels: Float32Array[] = [], regression: Float32Array[] = [];
    const anchorTensor = tensor(anchors, { shape: [numAnchors, 4] });
    for (const t of targets) {
      const M = t.boxes.shape[0];
      const lab = new Float32Array(numAnchors);
      const matchedBoxes = new Float32Array(4 * numAnchors);
      if (M > 0) {
        const gt = t.boxes.detach().contiguous().dataSync();
        const matches = this._matcher.matchFlat(boxIou(t.boxes.detach(), anchorTensor).dataSync() as Float32Array, M, numAnchors);
        for (let n = 0; n < numAnchors; n++) {
          const m = matches[n];
          lab[n] = m >= 0 ? 1 : m === BETWEEN_THRESHOLDS ? -1 : 0;
          const g = Math.max(m, 0);
          for (let c = 0; c < 4; c++) matchedBoxes[4 * n + c] = gt[4 * g + c];
        }
      }
      labels.push(lab);
      // Only the positives' targets are ever used; background rows would divide by zero-size boxes.
      regression.push(M > 0 ? this._boxCoder.encodeFlat(matchedBoxes, anchors) : new Float32Array(4 * numAnchors));
    }
    return { labels, regression };
  }

  forward(images: ImageList, features: readonly Tensor[], targets?: readonly RCNNTarget[]): RPNOutput {
    const { logits, bboxReg } = this.head.forward(features);
    const anchors = this.anchor_generator.forward(images, features);
    const N = images.imageSizes.length;
    const perLevel = logits.map((o) => o.shape[1] * o.shape[2] * o.shape[3]);
    const T = perLevel.reduce((a, b) => a + b, 0);
    const objectness = cat(logits.map((o) => permuteAndFlatten(o, 1)), 1).reshape([N * T]);
    const deltas = cat(bboxReg.map((r) => permuteAndFlatten(r, 4)), 1).reshape([N * T, 4]);

    const anchorFlat = anchors[0].dataSync() as Float32Array;
    const deltaHost = deltas.detach().contiguous().dataSync() as Float32Array;
    const proposals = new Float32Array(N * T * 4);
    for (let i = 0; i < N; i++) proposals.set(this._boxCoder.decodeFlat(deltaHost.subarray(i * T * 4, (i + 1) * T * 4), anchorFlat, 1), i * T * 4);
    const { boxes, scores } = this.filterProposals(proposals, objectness.detach().dataSync() as Float32Array, images.imageSizes, perLevel);

    const losses: Record<string, Tensor> = {};
    if (this.training) {
      if (!targets) throw new TypeError("RegionProposalNetwork: targets are required in training mode");
      const { labels, regression } = this.assignTargets(anchorFlat, T, targets);
      const sampled = this._sampler.sample(labels);
      const pos: number[] = [], all: number[] = [], allLabels: number[] = [];
      const posTargets: number[] = [];
      sampled.forEach(({ positive, negative }, img) => {
        for (const i of positive) {
          pos.push(img * T + i);
          for (let c = 0; c < 4; c++) posTargets.push(regression[img][4 * i + c]);
        }
      });
      sampled.forEach(({ positive }, img) => positive.forEach((i) => { all.push(img * T + i); allLabels.push(labels[img][i]); }));
      sampled.forEach(({ negative }, img) => negative.forEach((i) => { all.push(img * T + i); allLabels.push(labels[img][i]); }));
      const posIdx = tensor(Int32Array.from(pos), { dtype: "int32" });
      const boxSum = pos.length > 0
        ? smoothL1Loss(indexSelect(deltas, 0, posIdx), tensor(Float32Array.from(posTargets), { shape: [pos.length, 4] }), { beta: 1 / 9, reduction: "sum" })
        : mul(sum(deltas), 0);
      losses.loss_objectness = binaryCrossEntropyWithLogits(indexSelect(objectness, 0, tensor(Int32Array.from(all), { dtype: "int32" })), tensor(Float32Array.from(allLabels)));
      losses.loss_rpn_box_reg = div(boxSum, all.length);
    }
    return { boxes, scores, losses };
  }
}
