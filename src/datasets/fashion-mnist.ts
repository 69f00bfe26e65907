// nb.datasets.fashionMnist: Zalando's Fashion-MNIST, from its IDX files in a folder.

import { checkOptions, optionNames } from "../core/options.js";
import type { ImageDataset } from "./image-dataset.js";
import { checkLimit, locateFiles, resolveSplit, TORCHVISION_DATASET_ADVICE, type Split } from "./data-folder.js";
import { idxFileNames, loadIdxDataset } from "./idx-dataset.js";

export interface FashionMnistOptions {
  /** The folder holding train-images-idx3-ubyte(.gz) etc. as Zalando distributes them. */
  root: string;
  /** "train" (the default, 60,000 images) or "test" (10,000). */
  split?: Split;
  /** torchvision's spelling of split: true is "train", false "test" (given with split, they must agree). */
  train?: boolean;
  /** Take only the first `limit` samples. */
  limit?: number;
}

export const FASHION_MNIST_OPTIONS = optionNames<FashionMnistOptions>({ root: 1, split: 1, train: 1, limit: 1 });

export const fashionMnistClasses: readonly string[] = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];

/** Fashion-MNIST as float32 images [N, 1, 28, 28] in [0, 1] and int32 labels [N]. */
export function fashionMnist(opts: FashionMnistOptions): ImageDataset {
  const where = "fashionMnist";
  checkOptions(where, opts, FASHION_MNIST_OPTIONS, TORCHVISION_DATASET_ADVICE);
  const split = resolveSplit(where, opts?.split, opts?.train);
  const limit = checkLimit(where, opts?.limit);
  const [images, labels] = locateFiles(opts?.root, {
    where,
    subfolders: ["", "FashionMNIST/raw"],
    files: idxFileNames(split),
    allowGz: true,
    howToGet: "Get the four files from Zalando's Fashion-MNIST release and pass their folder as root.",
  });
  return loadIdxDataset(where, images, labels, limit, fashionMnistClasses);
}
