// nb.nn: modules, layers, losses, initialisation and utilities.

export { Module, type StateDict, type LoadResult } from "./module.js";
export { Parameter } from "./parameter.js";
export { Sequential, ModuleList, ModuleDict } from "./containers.js";
export * from "./linear.js";
export * from "./embedding.js";
export * from "./conv.js";
export * from "./conv-transpose.js";
export * from "./pooling.js";
export * from "./upsampling.js";
export { ConvReLUMaxPool2d, ReLUMaxPool } from "./fused.js";
export { fuse, fuseModules, type FuseOptions } from "./fuse.js";
export { FoldedBatchNorm, FoldedConvBatchNorm, FoldedLinearBatchNorm } from "./folded.js";
export { foldBatchNorm, type BatchNormStatistics, type FoldedWeights } from "./fold-batch-norm.js";
export { optimizeForInference } from "./optimize-for-inference.js";
export * from "./dropout.js";
export * from "./normalization.js";
export { SyncBatchNorm } from "./sync-batch-norm.js";
export * from "./activation.js";
export * from "./recurrent.js";
export * from "./recurrent-cells.js";
export * from "./loss.js";
export * as functional from "./functional.js";
export * as init from "./init.js";
export * as utils from "./utils/index.js";
export * as parallel from "./parallel/index.js";
