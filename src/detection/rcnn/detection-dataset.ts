// Checks shared by R-CNN and Fast R-CNN: the training set's samples and each image's proposals.

import { Tensor } from "../../tensor/tensor.js";
import { formatShape } from "../../core/shape.js";
import type { DetectionDataset, DetectionSample } from "../../data/detection-batches.js";

/** Every sample of `dataset`, each checked to be [image [3, H, W], {boxes [K, 4], labels [K]}] with labels in 1..numClasses. */
export function readSamples(op: string, dataset: DetectionDataset, numClasses: number): DetectionSample[] {
  if (!dataset || typeof dataset.get !== "function" || !Number.isInteger(dataset.length)) {
    throw new TypeError(`${op}: the training set must be a detection dataset ({length, get(i) → [image, {boxes, labels}]})`);
  }
  if (dataset.length === 0) throw new RangeError(`${op}: the training set is empty`);
  return Array.from({ length: dataset.length }, (_, i) => {
    const s = dataset.get(i);
    const [image, target] = s;
    checkImage(op, image, `sample ${i}'s image`);
    if (!(target?.boxes instanceof Tensor) || target.boxes.ndim !== 2 || target.boxes.shape[1] !== 4 || !(target.labels instanceof Tensor) || target.labels.shape[0] !== target.boxes.shape[0]) {
      throw new RangeError(`${op}: sample ${i}'s target must be {boxes [K, 4], labels [K]}`);
    }
    for (const l of target.labels.dataSync()) {
      if (!(Number(l) >= 1 && Number(l) <= numClasses)) throw new RangeError(`${op}: sample ${i} has label ${Number(l)}; labels must be in 1..numClasses = 1..${numClasses} (0 is the background)`);
    }
    return s;
  });
}

export function checkImage(op: string, image: unknown, name = "image"): asserts image is Tensor {
  if (!(image instanceof Tensor) || image.ndim !== 3 || image.shape[0] !== 3) {
    throw new RangeError(`${op}: ${name} must be [3, H, W] (RGB in [0, 1]), got ${image instanceof Tensor ? formatShape(image.shape) : typeof image}`);
  }
}

/** Given proposals, checked: one [K, 4] tensor per image. */
export function checkProposals(op: string, proposals: readonly Tensor[] | undefined, n: number): void {
  if (proposals === undefined) return;
  if (!Array.isArray(proposals) || proposals.length !== n) throw new RangeError(`${op}: proposals must be one [K, 4] tensor per image (${n}), got ${Array.isArray(proposals) ? proposals.length : typeof proposals}`);
  proposals.forEach((p, i) => {
    if (!(p instanceof Tensor) || p.ndim !== 2 || p.shape[1] !== 4) throw new RangeError(`${op}: proposals of image ${i} must be [K, 4], got ${p instanceof Tensor ? formatShape(p.shape) : typeof p}`);
  });
}

