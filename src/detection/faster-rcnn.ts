// Faster R-CNN (Ren et al. 2015) as torchvision 0.14 builds it (GeneralizedRCNN): transform
// (normalise, resize, batch) → backbone (feature maps) → region proposal network → RoI heads
// (pooled proposals → TwoMLPHead → FastRCNNPredictor) → boxes mapped back to each original image.
// Training: forward(images, targets) returns torchvision's four losses; eval: forward(images)
// returns one {boxes, labels, scores} per image. Module names equal torchvision's, so state
// dicts load key for key (fasterrcnnResnet50Fpn ↔ fasterrcnn_resnet50_fpn).

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import { Conv2d } from "../nn/conv.js";
import { Sequential } from "../nn/containers.js";
import { ReLU } from "../nn/activation.js";
import { relu } from "../ops/elementwise.js";
import { flatten } from "../ops/view.js";
import { resnet18, resnet50, type ResNet } from "../models/resnet.js";
import { AnchorGenerator } from "./anchor-generator.js";
import { RPNHead, RegionProposalNetwork } from "./rpn.js";
import { RoIHeads, type BoxPredictor, type BoxRoIPool } from "./roi-heads.js";
import { GeneralizedRCNNTransform } from "./transform.js";
import { MultiScaleRoIAlign } from "./multi-scale-roi-align.js";
import { BackboneWithFPN, type ResNetFpnOptions } from "./backbone-with-fpn.js";
import type { RCNNDetection, RCNNTarget } from "./image-list.js";

/** Two fully connected layers with ReLU over the flattened pooled features (fc6, fc7). */
export class TwoMLPHead extends Module {
  readonly fc6: Linear;
  readonly fc7: Linear;
  constructor(inChannels: number, representationSize: number) {
    super();
    this.fc6 = new Linear(inChannels, representationSize);
    this.fc7 = new Linear(representationSize, representationSize);
  }
  forward(x: Tensor): Tensor {
    return relu(this.fc7.forward(relu(this.fc6.forward(flatten(x, 1)))));
  }
}

/** Class scores (cls_score, numClasses incl. background) and per-class box deltas (bbox_pred, 4·numClasses). */
export class FastRCNNPredictor extends Module implements BoxPredictor {
  readonly cls_score: Linear;
  readonly bbox_pred: Linear;
  constructor(inChannels: number, numClasses: number) {
    super();
    this.cls_score = new Linear(inChannels, numClasses);
    this.bbox_pred = new Linear(inChannels, numClasses * 4);
  }
  forward(x: Tensor): { scores: Tensor; bboxDeltas: Tensor } {
    const f = flatten(x, 1);
    return { scores: this.cls_score.forward(f), bboxDeltas: this.bbox_pred.forward(f) };
  }
}

/** A backbone: images [N, 3, H, W] → one feature map or named maps; all with outChannels channels. */
export interface DetectionBackbone extends Module {
  readonly outChannels: number;
  forward(x: Tensor): Tensor | Map<string, Tensor>;
}

/** torchvision's FasterRCNN keyword arguments, in camelCase. */
export interface FasterRCNNOptions {
  numClasses?: number;
  minSize?: number | readonly number[];
  maxSize?: number;
  imageMean?: readonly number[];
  imageStd?: readonly number[];
  rpnAnchorGenerator?: AnchorGenerator;
  rpnHead?: RPNHead;
  rpnPreNmsTopNTrain?: number;
  rpnPreNmsTopNTest?: number;
  rpnPostNmsTopNTrain?: number;
  rpnPostNmsTopNTest?: number;
  rpnNmsThresh?: number;
  rpnFgIouThresh?: number;
  rpnBgIouThresh?: number;
  rpnBatchSizePerImage?: number;
  rpnPositiveFraction?: number;
  rpnScoreThresh?: number;
  boxRoiPool?: BoxRoIPool;
  boxHead?: Module;
  boxPredictor?: BoxPredictor;
  boxScoreThresh?: number;
  boxNmsThresh?: number;
  boxDetectionsPerImg?: number;
  boxFgIouThresh?: number;
  boxBgIouThresh?: number;
  boxBatchSizePerImage?: number;
  boxPositiveFraction?: number;
  bboxRegWeights?: readonly [number, number, number, number];
}

export const FASTER_RCNN_OPTIONS = optionNames<FasterRCNNOptions>({
  numClasses: 1, minSize: 1, maxSize: 1, imageMean: 1, imageStd: 1, rpnAnchorGenerator: 1, rpnHead: 1,
  rpnPreNmsTopNTrain: 1, rpnPreNmsTopNTest: 1, rpnPostNmsTopNTrain: 1, rpnPostNmsTopNTest: 1, rpnNmsThresh: 1,
  rpnFgIouThresh: 1, rpnBgIouThresh: 1, rpnBatchSizePerImage: 1, rpnPositiveFraction: 1, rpnScoreThresh: 1,
  boxRoiPool: 1, boxHead: 1, boxPredictor: 1, boxScoreThresh: 1, boxNmsThresh: 1, boxDetectionsPerImg: 1,
  boxFgIouThresh: 1, boxBgIouThresh: 1, boxBatchSizePerImage: 1, boxPositiveFraction: 1, bboxRegWeights: 1,
});

/** torchvision's FPN anchors: one size per level (32..512), ratios 0.5, 1, 2. */
export const defaultAnchorGenerator = (): AnchorGenerator =>
  new AnchorGenerator({ sizes: [[32], [64], [128], [256], [512]], aspectRatios: [0.5, 1, 2] });

export type FasterRCNNLosses = { loss_classifier: Tensor; loss_box_reg: Tensor; loss_objectness: Tensor; loss_rpn_box_reg: Tensor };

export class FasterRCNN extends Module {
  readonly transform: GeneralizedRCNNTransform;
  readonly backbone: DetectionBackbone;
  readonly rpn: RegionProposalNetwork;
  readonly roi_heads: RoIHeads;

  constructor(backbone: DetectionBackbone, opts: FasterRCNNOptions = {}) {
    super();
    checkOptions("FasterRCNN", opts, FASTER_RCNN_OPTIONS, { num_classes: "numClasses", min_size: "minSize", max_size: "maxSize" });
    const C = backbone.outChannels;
    if (!(Number.isInteger(C) && C > 0)) throw new TypeError("FasterRCNN: the backbone must have a positive integer outChannels (the channels of its feature maps)");
    if (opts.numClasses !== undefined && opts.boxPredictor) throw new RangeError("FasterRCNN: numClasses should not be given with boxPredictor");
    if (opts.numClasses === undefined && !opts.boxPredictor) throw new RangeError("FasterRCNN: give numClasses (background included) or a boxPredictor");
    const anchors = opts.rpnAnchorGenerator ?? defaultAnchorGenerator();
    const head = opts.rpnHead ?? new RPNHead(C, anchors.numAnchorsPerLocation()[0]);
    const rpn = new RegionProposalNetwork(anchors, head, {
      fgIouThresh: opts.rpnFgIouThresh, bgIouThresh: opts.rpnBgIouThresh, batchSizePerImage: opts.rpnBatchSizePerImage,
      positiveFraction: opts.rpnPositiveFraction, nmsThresh: opts.rpnNmsThresh, scoreThresh: opts.rpnScoreThresh,
      preNmsTopN: { training: opts.rpnPreNmsTopNTrain ?? 2000, testing: opts.rpnPreNmsTopNTest ?? 1000 },
      postNmsTopN: { training: opts.rpnPostNmsTopNTrain ?? 2000, testing: opts.rpnPostNmsTopNTest ?? 1000 },
    });
    const pool = opts.boxRoiPool ?? new MultiScaleRoIAlign({ featmapNames: ["0", "1", "2", "3"], outputSize: 7, samplingRatio: 2 });
    const resolution = (pool as unknown as { outputSize: number[] }).outputSize?.[0] ?? 7;
    const boxHead = opts.boxHead ?? new TwoMLPHead(C * resolution * resolution, 1024);
    const predictor = opts.boxPredictor ?? new FastRCNNPredictor(1024, opts.numClasses!);
    const roiHeads = new RoIHeads(pool, boxHead, predictor, {
      fgIouThresh: opts.boxFgIouThresh, bgIouThresh: opts.boxBgIouThresh, batchSizePerImage: opts.boxBatchSizePerImage,
      positiveFraction: opts.boxPositiveFraction, bboxRegWeights: opts.bboxRegWeights, scoreThresh: opts.boxScoreThresh,
      nmsThresh: opts.boxNmsThresh, detectionsPerImg: opts.boxDetectionsPerImg,
    });
    this.transform = new GeneralizedRCNNTransform({ minSize: opts.minSize ?? 800, maxSize: opts.maxSize ?? 1333, imageMean: opts.imageMean, imageStd: opts.imageStd });
    this.backbone = backbone;
    this.rpn = rpn;
    this.roi_heads = roiHeads;
  }

  /** Targets must be float [K, 4] boxes with positive width and height and int32 [K] labels (K may be 0). */
  private checkTargets(images: readonly Tensor[], targets: readonly RCNNTarget[] | undefined): asserts targets is readonly RCNNTarget[] {
    if (!targets) throw new TypeError("FasterRCNN: targets should be given in training mode (call model.eval() to detect)");
    if (!Array.isArray(targets) || targets.length !== images.length) {
      throw new RangeError(`FasterRCNN: got ${images.length} images but ${Array.isArray(targets) ? targets.length : "no array of"} targets`);
    }
    targets.forEach((t, i) => {
      if (!t || !(t.boxes instanceof Tensor) || !(t.labels instanceof Tensor)) throw new TypeError(`FasterRCNN: target ${i} must be {boxes, labels} tensors`);
      const b = t.boxes;
      if (b.ndim !== 2 || b.shape[1] !== 4) throw new RangeError(`FasterRCNN: expected target boxes to be a tensor of shape [N, 4], got ${formatShape(b.shape)} for target ${i}`);
      if (b.dtype !== "float32" && b.dtype !== "float64") throw new TypeError(`FasterRCNN: target boxes must be float, got ${b.dtype} for target ${i}`);
      if (t.labels.dtype !== "int32" || t.labels.ndim !== 1 || t.labels.shape[0] !== b.shape[0]) {
        throw new TypeError(`FasterRCNN: target labels must be int32 [${b.shape[0]}] (one per box), got ${t.labels.dtype} ${formatShape(t.labels.shape)} for target ${i}`);
      }
      const d = b.contiguous().dataSync();
      for (let k = 0; k < b.shape[0]; k++) {
        if (!(d[4 * k + 2] > d[4 * k] && d[4 * k + 3] > d[4 * k + 1])) {
          throw new RangeError(
            `FasterRCNN: all bounding boxes should have positive height and width; found invalid box [${Array.from(d.subarray(4 * k, 4 * k + 4)).join(", ")}] for target at index ${i}`,
          );
        }
      }
    });
  }

  forward(images: readonly Tensor[], targets?: readonly RCNNTarget[]): FasterRCNNLosses | RCNNDetection[] {
    if (!Array.isArray(images)) throw new TypeError("FasterRCNN: images must be an array of [C, H, W] tensors (one per image, sizes may differ)");
    if (this.training) this.checkTargets(images, targets);
    const originalSizes = images.map((i) => [i.shape[i.ndim - 2], i.shape[i.ndim - 1]] as [number, number]);
    const { imageList, targets: scaled } = this.transform.forward(images, this.training ? targets : undefined);
    const out = this.backbone.forward(imageList.tensors);
    const features = out instanceof Tensor ? new Map([["0", out]]) : out;
    const rpn = this.rpn.forward(imageList, [...features.values()], scaled);
    const heads = this.roi_heads.forward(features, rpn.boxes, imageList.imageSizes, scaled);
    if (this.training) return { ...heads.losses, ...rpn.losses } as FasterRCNNLosses;
    return this.transform.postprocess(heads.detections, imageList.imageSizes, originalSizes);
  }

  /** Eval-mode detections of each image (forward without targets, typed). */
  detect(images: readonly Tensor[]): RCNNDetection[] {
    return this.forward(images) as RCNNDetection[];
  }
  /** Training-mode losses (forward with targets, typed). */
  losses(images: readonly Tensor[], targets: readonly RCNNTarget[]): FasterRCNNLosses {
    return this.forward(images, targets) as FasterRCNNLosses;
  }
}

// ---- factories ---------------------------------------------------------------------------

export interface FasterRCNNResNetFpnOptions extends FasterRCNNOptions, ResNetFpnOptions {
  /** Draw random initial weights (default true); false leaves zeros, for loading a state dict right after. */
  initWeights?: boolean;
  /** Alias of trainableLayers, as torchvision spells it. */
  trainableBackboneLayers?: number;
}

const RESNET_FPN_OPTIONS = [...FASTER_RCNN_OPTIONS, "trainableLayers", "trainableBackboneLayers", "returnedLayers", "frozenBatchNorm", "outChannels", "initWeights"];

function resnetFpn(where: string, build: (o: { initWeights?: boolean }) => ResNet, opts: FasterRCNNResNetFpnOptions): FasterRCNN {
  checkOptions(where, opts, RESNET_FPN_OPTIONS, { num_classes: "numClasses", trainable_backbone_layers: "trainableBackboneLayers", weights: "nb.transfer.loadPretrained / loadStateDict after building with initWeights: false" });
  const { trainableLayers, trainableBackboneLayers, returnedLayers, frozenBatchNorm, outChannels, initWeights, ...rest } = opts;
  const backbone = new BackboneWithFPN(build({ initWeights }), {
    trainableLayers: trainableLayers ?? trainableBackboneLayers, returnedLayers, frozenBatchNorm, outChannels,
  });
  return new FasterRCNN(backbone, { ...rest, numClasses: rest.boxPredictor ? undefined : rest.numClasses ?? 91 });
}

/**
 * torchvision's fasterrcnn_resnet50_fpn with FrozenBatchNorm2d in the backbone (as its COCO and
 * ImageNet-initialised variants): 41,755,286 parameters and buffers as torchvision's for 91 classes.
 */
export const fasterrcnnResnet50Fpn = (opts: FasterRCNNResNetFpnOptions = {}): FasterRCNN => resnetFpn("fasterrcnnResnet50Fpn", resnet50, opts);
/** The same on ResNet-18 (FPN inputs 64..512 channels): lighter, trainable on CPUs. */
export const fasterrcnnResnet18Fpn = (opts: FasterRCNNResNetFpnOptions = {}): FasterRCNN => resnetFpn("fasterrcnnResnet18Fpn", resnet18, opts);

/** A few stride-2 3x3 convolutions with ReLU (keys backbone.0.weight, backbone.2.weight, …): one feature map at stride 2^depth. */
export class SmallBackbone extends Sequential implements DetectionBackbone {
  readonly outChannels: number;
  constructor(channels: readonly number[] = [16, 32, 64], inChannels = 3) {
    const layers: Module[] = [];
    let c = inChannels;
    for (const out of channels) {
      layers.push(new Conv2d(c, out, 3, { stride: 2, padding: 1 }), new ReLU());
      c = out;
    }
    super(...layers);
    this.outChannels = c;
  }
}

export interface FasterRCNNSmallOptions extends FasterRCNNOptions {
  /** Channels of the backbone's stride-2 convolutions (default [16, 32]: one feature map at stride 4). */
  backboneChannels?: readonly number[];
  /** Anchor sizes at the one feature map (default [8, 16, 32]; ratios 0.5, 1, 2). */
  anchorSizes?: readonly number[];
  /** Width of the two fully connected layers of the box head (default 128). */
  representationSize?: number;
}

/**
 * A Faster R-CNN small enough to train from scratch on two CPU cores, for images of about 64 px
 * (nb.datasets.shapes): SmallBackbone, one feature map at stride 4, 9 anchors per cell,
 * RoIAlign 7x7, a 128-wide box head — torchvision's FasterRCNN class over such a backbone. Its
 * defaults differ from torchvision's where small images ask for it: minSize/maxSize 64, RPN
 * top-n 600/300 (training) and 300/100 (eval), 128 sampled proposals per image.
 */
export function fasterrcnnSmall(opts: FasterRCNNSmallOptions = {}): FasterRCNN {
  checkOptions("fasterrcnnSmall", opts, [...FASTER_RCNN_OPTIONS, "backboneChannels", "anchorSizes", "representationSize"], { num_classes: "numClasses" });
  const { backboneChannels, anchorSizes, representationSize, ...rest } = opts;
  const backbone = new SmallBackbone(backboneChannels ?? [16, 32]);
  const rep = representationSize ?? 128;
  const numClasses = rest.numClasses ?? 91;
  return new FasterRCNN(backbone, {
    minSize: 64, maxSize: 64,
    rpnPreNmsTopNTrain: 600, rpnPostNmsTopNTrain: 300, rpnPreNmsTopNTest: 300, rpnPostNmsTopNTest: 100, boxBatchSizePerImage: 128,
    rpnAnchorGenerator: new AnchorGenerator({ sizes: [[...(anchorSizes ?? [8, 16, 32])]], aspectRatios: [[0.5, 1, 2]] }),
    boxRoiPool: new MultiScaleRoIAlign({ featmapNames: ["0"], outputSize: 7, samplingRatio: 2 }),
    boxHead: new TwoMLPHead(backbone.outChannels * 49, rep),
    boxPredictor: new FastRCNNPredictor(rep, numClasses),
    ...rest,
    numClasses: undefined,
  });
}
