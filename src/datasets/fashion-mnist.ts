// nb.datasets.fashionMnist: Zalando's Fashion-MNIST, from its IDX files in a folder.

import type { ImageDataset } from "./image-dataset.js";
import { checkLimit, checkSplit, locateFiles, type Split } from "./data-folder.js";
import { idxFileNames, loadIdxDataset } from "./idx-dataset.js";

export interface FashionMnistOptions {
  /** The folder holding train-images-idx3-ubyte(.gz) etc. as Zalando distributes them. */
  root: string;
  split?: Split;
  /** Take only the first `limit` samples. */
  limit?: number;
}

export const fashionMnistClasses: readonly string[] = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];

/** Fashion-MNIST as float32 images [N, 1, 28, 28] in [0, 1] and int32 labels [N]. */
export function fashionMnist(opts: FashionMnistOptions): ImageDataset {
  const where = "fashionMnist";
  const split = checkSplit(where, opts?.split ?? "train");
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
