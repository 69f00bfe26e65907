// The classic detectors: R-CNN (warped regions, CNN features, SVMs, box regression) and Fast
// R-CNN (one CNN pass per image, RoI pooling, a jointly trained classifier and regressor).

export { warpRegions, dilateForContext, defaultWarpPadding, type WarpRegionsOptions } from "./warp-regions.js";
export { boxRegressionTargets, applyBoxRegression, BOX_DELTA_CLIP, type BoxWeights } from "./box-regression.js";
export { fitRidgeRegression, RidgeRegression } from "./ridge-regression.js";
export { trainLinearSvm, LinearSVM, type LinearSVMOptions } from "./linear-svm.js";
export { trainSvmWithHardNegatives, type HardNegativeMiningOptions, type MinedSVM } from "./hard-negative-mining.js";
export { matchProposals, type ProposalMatch } from "./match-proposals.js";
export { RegionCNN, type RegionFeatures } from "./region-cnn.js";
export { RCNN, type RCNNOptions, type RCNNFitReport } from "./rcnn.js";
export { FastRCNN, FAST_RCNN_BOX_WEIGHTS, type FastRCNNOptions, type FastRCNNFitReport } from "./fast-rcnn.js";
