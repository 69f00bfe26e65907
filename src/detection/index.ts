// nb.detection: torchvision.ops's building blocks (boxes, NMS, RoI pooling) and the detection
// metric; the detection models build on these.

export { boxArea, boxIou, generalizedBoxIou, boxConvert, clipBoxesToImage, removeSmallBoxes, type BoxFormat } from "./boxes.js";
export { nms, batchedNms } from "./nms.js";
export { roiAlign, type RoIAlignOptions } from "./roi-align.js";
export { roiPool } from "./roi-pool.js";
export { RoIAlign, RoIPool } from "./roi-modules.js";
export { MultiScaleRoIAlign, type MultiScaleRoIAlignOptions } from "./multi-scale-roi-align.js";
export {
  meanAveragePrecision, COCO_IOU_THRESHOLDS, type DetectionPrediction, type DetectionTarget, type MeanAveragePrecisionOptions,
  type MeanAveragePrecisionResult, type ClassAveragePrecision,
} from "./mean-average-precision.js";
// The classic R-CNN pipeline's proposals, detection transforms, and detection batches (lists).
export {
  selectiveSearch, felzenszwalbSegmentation, SELECTIVE_SEARCH_STRATEGIES, type SelectiveSearchMode, type SelectiveSearchOptions,
  type SegmentationOptions, type ColourSpace,
} from "./selective-search/index.js";
export * as transforms from "./transforms.js";
export {
  collateDetection as collate, DetectionDataLoader, type DetectionDataLoaderOptions, type DetectionSample, type DetectionBatch,
  type DetectionDataset,
} from "../data/detection-batches.js";
// Faster R-CNN (torchvision.models.detection's layout and numbers).
export { AnchorGenerator, type AnchorGeneratorOptions } from "./anchor-generator.js";
export { BoxCoder, type BoxCoderOptions } from "./box-coder.js";
export { Matcher, BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS } from "./matcher.js";
export { BalancedPositiveNegativeSampler, type SampledIndices } from "./balanced-sampler.js";
export { RPNHead, RegionProposalNetwork, type RegionProposalNetworkOptions, type RPNOutput } from "./rpn.js";
export { RoIHeads, type RoIHeadsOptions, type RoIHeadsOutput, type BoxRoIPool, type BoxPredictor } from "./roi-heads.js";
export { GeneralizedRCNNTransform, resizeBoxes, type GeneralizedRCNNTransformOptions } from "./transform.js";
export { FeaturePyramidNetwork, LastLevelMaxPool } from "./feature-pyramid-network.js";
export { FrozenBatchNorm2d } from "./frozen-batch-norm.js";
export { BackboneWithFPN, ResNetBody, type ResNetFpnOptions } from "./backbone-with-fpn.js";
export {
  FasterRCNN, TwoMLPHead, FastRCNNPredictor, SmallBackbone, fasterrcnnResnet50Fpn, fasterrcnnResnet18Fpn, fasterrcnnSmall,
  type FasterRCNNOptions, type FasterRCNNResNetFpnOptions, type FasterRCNNSmallOptions, type FasterRCNNLosses, type DetectionBackbone,
} from "./faster-rcnn.js";
export type { ImageList, RCNNTarget, RCNNDetection } from "./image-list.js";
export { trainDetector, detectorOptimizer, evaluateDetector, detectAll, type TrainDetectorOptions, type DetectorHistory, type DetectorStepInfo } from "./train-detector.js";
// The classic pipeline: R-CNN (warped regions → CNN features → per-class SVMs → box regression) and Fast R-CNN.
export {
  RCNN, FastRCNN, warpRegions, boxRegressionTargets, applyBoxRegression, fitRidgeRegression, RidgeRegression, trainLinearSvm, LinearSVM,
  trainSvmWithHardNegatives, matchProposals, RegionCNN, FAST_RCNN_BOX_WEIGHTS, type RCNNOptions, type RCNNFitReport, type FastRCNNOptions,
  type FastRCNNFitReport, type WarpRegionsOptions, type LinearSVMOptions, type HardNegativeMiningOptions, type BoxWeights,
} from "./rcnn/index.js";
