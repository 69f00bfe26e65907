// nb.data: datasets, loaders and splits.
export { type Dataset, type Sample, TensorDataset, Subset, stackSamples } from "./dataset.js";
export { DataLoader, type DataLoaderOptions, type Transform } from "./dataloader.js";
export {
  collateDetection, DetectionDataLoader, type DetectionDataLoaderOptions, type DetectionDataset, type DetectionSample,
  type DetectionTarget, type DetectionBatch,
} from "./detection-batches.js";
export { randomSplit, kFold, type Fold, type RandomSplitOptions, type KFoldOptions } from "./split.js";
export { DistributedSampler, type DistributedSamplerOptions } from "./distributed-sampler.js";
