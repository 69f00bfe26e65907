// Detection samples and their batches. A detection sample is [image [C, H, W], {boxes [K, 4],
// labels [K]}], and K differs between images (so do H and W, before a model's transform resizes
// them), so batches are lists, not stacked tensors: [images[], targets[]], as torchvision's
// detection models take them (its references collate with zip(*batch)).

import { Tensor } from "../tensor/tensor.js";
import { Generator } from "../tensor/random.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { DataLoader } from "./dataloader.js";
import type { Dataset } from "./dataset.js";

/** One image's objects: float32 boxes [K, 4] (x1, y1, x2, y2) and int32 labels [K] (0 is background). */
export interface DetectionTarget {
  boxes: Tensor;
  labels: Tensor;
}

export type DetectionSample = [Tensor, DetectionTarget];
export type DetectionBatch = [Tensor[], DetectionTarget[]];

export interface DetectionDataset {
  readonly length: number;
  get(index: number): DetectionSample;
}

/** Detection batches as lists: [images[], targets[]] (torchvision's collate_fn = zip(*batch)). */
export function collateDetection(samples: readonly DetectionSample[]): DetectionBatch {
  if (!Array.isArray(samples) || samples.length === 0) throw new RangeError("collateDetection: cannot make a batch of zero samples");
  samples.forEach((s, i) => {
    if (!Array.isArray(s) || s.length !== 2 || !(s[0] instanceof Tensor) || !isTarget(s[1])) {
      throw new TypeError(`collateDetection: sample ${i} must be [image, {boxes, labels}], got ${describe(s)}`);
    }
  });
  return [samples.map((s) => s[0]), samples.map((s) => s[1])];
}

function isTarget(t: unknown): t is DetectionTarget {
  return t !== null && typeof t === "object" && (t as DetectionTarget).boxes instanceof Tensor && (t as DetectionTarget).labels instanceof Tensor;
}

export interface DetectionDataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Applied to each [image, target] (e.g. a nb.detection transform: flips and crops move the boxes). */
  transform?: ((sample: DetectionSample) => DetectionSample) | { apply(sample: DetectionSample): DetectionSample };
  seed?: number;
  generator?: Generator;
}

export const DETECTION_DATA_LOADER_OPTIONS = optionNames<DetectionDataLoaderOptions>({
  batchSize: 1, shuffle: 1, dropLast: 1, transform: 1, seed: 1, generator: 1,
});

/**
 * DataLoader for detection datasets: the same batching and seeded shuffling as nb.data.DataLoader
 * (it orders the samples), yielding [images[], targets[]].
 */
export class DetectionDataLoader implements Iterable<DetectionBatch>, AsyncIterable<DetectionBatch> {
  private readonly loader: DataLoader;
  private readonly transform?: (sample: DetectionSample) => DetectionSample;

  constructor(readonly dataset: DetectionDataset, opts: DetectionDataLoaderOptions = {}) {
    if (!dataset || typeof dataset.get !== "function" || typeof dataset.length !== "number") {
      throw new TypeError("DetectionDataLoader: dataset must have a length and a get(index) returning [image, {boxes, labels}] (e.g. nb.datasets.shapes)");
    }
    checkOptions("DetectionDataLoader", opts, DETECTION_DATA_LOADER_OPTIONS);
    const { transform, ...ordering } = opts;
    // The sample type differs, but DataLoader's ordering reads only length.
    this.loader = new DataLoader(dataset as unknown as Dataset, ordering);
    if (transform !== undefined) {
      if (typeof transform === "function") this.transform = transform;
      else if (transform !== null && typeof transform === "object" && typeof transform.apply === "function") this.transform = (s) => transform.apply(s);
      else throw new TypeError(`DetectionDataLoader: transform must be a function ([image, target]) => [image, target] or an object with apply, got ${describe(transform)}`);
    }
  }

  get batchSize(): number {
    return this.loader.batchSize;
  }

  /** Number of batches per epoch. */
  get length(): number {
    return this.loader.length;
  }

  batch(indices: readonly number[]): DetectionBatch {
    return collateDetection(indices.map((i) => {
      const s = this.dataset.get(i);
      return this.transform ? this.transform(s) : s;
    }));
  }

  *[Symbol.iterator](): Iterator<DetectionBatch> {
    const order = this.loader.order();
    const size = this.loader.batchSize;
    for (let start = 0; start < order.length; start += size) {
      const indices = order.slice(start, start + size);
      if (this.loader.dropLast && indices.length < size) return;
      yield this.batch(indices);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DetectionBatch> {
    for (const b of this) yield b;
  }
}
