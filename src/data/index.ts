// nb.data: datasets, loaders and splits.
export { type Dataset, type Sample, TensorDataset, Subset, stackSamples } from "./dataset.js";
export { DataLoader, type DataLoaderOptions, type Transform } from "./dataloader.js";
export { randomSplit, kFold, type Fold, type RandomSplitOptions, type KFoldOptions } from "./split.js";
