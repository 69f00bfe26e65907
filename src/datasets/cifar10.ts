// nb.datasets.cifar10: CIFAR-10's binary version (data_batch_1.bin … data_batch_5.bin,
// test_batch.bin). Each record is one label byte, then 3072 pixel bytes: the red, green and
// blue 32x32 planes, rows in order — already the [C, H, W] layout.

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { checkOptions, optionNames } from "../core/options.js";
import type { ImageDataset } from "./image-dataset.js";
import { checkLimit, locateFiles, resolveSplit, TORCHVISION_DATASET_ADVICE, type Split } from "./data-folder.js";
import { cachedRawImages, checkLabels, toImageDataset, type RawImages } from "./raw-images.js";

export interface Cifar10Options {
  /** The folder holding the .bin batches (or the cifar-10-batches-bin folder the archive unpacks to). */
  root: string;
  /** "train" (the default, 50,000 images) or "test" (10,000). */
  split?: Split;
  /** torchvision's spelling of split: true is "train", false "test" (given with split, they must agree). */
  train?: boolean;
  /** Take only the first `limit` samples (reads only those from disk). */
  limit?: number;
}

export const CIFAR10_OPTIONS = optionNames<Cifar10Options>({ root: 1, split: 1, train: 1, limit: 1 });

export const cifar10Classes: readonly string[] = [
  "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
];

const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

/** CIFAR-10 as float32 images [N, 3, 32, 32] in [0, 1] and int32 labels [N]. */
export function cifar10(opts: Cifar10Options): ImageDataset {
  const where = "cifar10";
  checkOptions(where, opts, CIFAR10_OPTIONS, TORCHVISION_DATASET_ADVICE);
  const split = resolveSplit(where, opts?.split, opts?.train);
  const limit = checkLimit(where, opts?.limit);
  const names = split === "train" ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ["test_batch.bin"];
  const files = locateFiles(opts?.root, {
    where,
    subfolders: ["", "cifar-10-batches-bin"],
    files: names,
    allowGz: false,
    howToGet: "Unpack CIFAR-10's binary version (cifar-10-binary.tar.gz) and pass its folder as root.",
  });
  const raw = cachedRawImages(files, limit, (n) => readBatches(where, files, n));
  return toImageDataset(raw, limit, cifar10Classes);
}

function readBatches(where: string, files: readonly string[], limit: number | undefined): RawImages {
  const records = files.map((f) => {
    const size = statSync(f).size;
    if (size === 0 || size % RECORD !== 0) {
      throw new RangeError(`${where}: ${f} is truncated or not a CIFAR-10 batch: its ${size} bytes are not a whole number of ${RECORD}-byte records (1 label byte + ${PIXELS} pixel bytes)`);
    }
    return size / RECORD;
  });
  const total = records.reduce((a, b) => a + b, 0);
  const count = Math.min(limit ?? total, total);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let done = 0;
  for (let f = 0; f < files.length && done < count; f++) {
    const take = Math.min(records[f], count - done);
    const bytes = readPrefix(files[f], take * RECORD);
    for (let r = 0; r < take; r++) {
      labels[done + r] = bytes[r * RECORD];
      pixels.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), (done + r) * PIXELS);
    }
    checkLabels(where, labels.subarray(done, done + take), cifar10Classes.length, (i) => `${files[f]} record ${i}`);
    done += take;
  }
  return { pixels, labels, count, imageShape: [3, 32, 32], complete: count === total };
}

function readPrefix(path: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(path, "r");
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, done);
      if (n === 0) throw new RangeError(`cifar10: ${path} ended after ${done} bytes while reading ${length}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
