// MNIST-style datasets: an IDX file of ubyte images [N, H, W] and one of ubyte labels [N].

import { readIdxArray } from "../io/idx.js";
import type { ImageDataset } from "./image-dataset.js";
import { cachedRawImages, checkLabels, toImageDataset, type RawImages } from "./raw-images.js";
import type { Split } from "./data-folder.js";

/** File names as LeCun's and Zalando's distributions have them. */
export function idxFileNames(split: Split): [images: string, labels: string] {
  const prefix = split === "train" ? "train" : "t10k";
  return [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
}

export function loadIdxDataset(where: string, imagesPath: string, labelsPath: string, limit: number | undefined, classes: readonly string[]): ImageDataset {
  const raw = cachedRawImages([imagesPath, labelsPath], limit, (n) => readPair(where, imagesPath, labelsPath, n, classes.length));
  return toImageDataset(raw, limit, classes);
}

function readPair(where: string, imagesPath: string, labelsPath: string, limit: number | undefined, numClasses: number): RawImages {
  const images = readIdxArray(imagesPath, { limit });
  if (images.type !== "ubyte" || images.shape.length !== 3) {
    throw new RangeError(`${where}: ${imagesPath} holds ${images.type} values of shape [${images.shape.join(", ")}]; expected ubyte images [N, H, W]`);
  }
  const labels = readIdxArray(labelsPath, { limit });
  if (labels.type !== "ubyte" || labels.shape.length !== 1) {
    throw new RangeError(`${where}: ${labelsPath} holds ${labels.type} values of shape [${labels.shape.join(", ")}]; expected ubyte labels [N]`);
  }
  if (images.fileLength !== labels.fileLength) {
    throw new RangeError(`${where}: ${imagesPath} holds ${images.fileLength} images but ${labelsPath} holds ${labels.fileLength} labels; they must match`);
  }
  const labelBytes = labels.data as Uint8Array;
  checkLabels(where, labelBytes, numClasses, (i) => `${labelsPath} entry ${i}`);
  const [count, h, w] = images.shape;
  return { pixels: images.data as Uint8Array, labels: labelBytes, count, imageShape: [1, h, w], complete: count === images.fileLength };
}
