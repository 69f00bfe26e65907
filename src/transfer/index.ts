// nb.transfer: reuse a pretrained model for a new task — find and replace its classifier head,
// freeze all or part of the base (three strategies, batch norm kept in inference
// mode), extract CNN codes for a linear classifier, and fine-tune with parameter groups.
export { findHead, replaceHead, type HeadInfo, type ReplaceHeadOptions, type ReplaceHeadResult } from "./head.js";
export {
  freeze, unfreeze, freezeState, baseLayers, STRATEGIES,
  type Strategy, type BatchNormMode, type FreezeOptions, type UnfreezeOptions, type FreezeState,
} from "./freeze.js";
export { fineTune, type FineTuneOptions, type FineTuneGroup, type OptimizerClass } from "./fine-tune.js";
export { FeatureExtractor, featureExtractor, extractFeatures, type FeatureExtractorOptions, type ExtractFeaturesOptions } from "./features.js";
export { loadPretrained, type LoadPretrainedOptions, type LoadPretrainedResult } from "./load.js";
export { captureActivation } from "./capture.js";
export { selectClasses, ClassSubset, type SelectClassesOptions } from "./select-classes.js";
