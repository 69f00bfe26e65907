// Datasets: anything with a length and an indexed [x, y] sample. Datasets that can gather many
// samples at once (TensorDataset) also offer getBatch, which DataLoader prefers.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { tensor } from "../tensor/creation.js";
import { indexSelect, stack } from "../ops/indexing.js";

export type Sample = [Tensor, Tensor];

export interface Dataset {
  readonly length: number;
  get(index: number): Sample;
  /** Optional fast path: the samples at these indices, already stacked along dim 0. */
  getBatch?(indices: readonly number[]): Sample;
}

/** Samples are the rows (dim 0) of x and y. */
export class TensorDataset implements Dataset {
  constructor(readonly x: Tensor, readonly y: Tensor) {
    if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError("TensorDataset: x and y must be tensors");
    if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
      throw new RangeError(`TensorDataset: x ${formatShape(x.shape)} and y ${formatShape(y.shape)} must have the same size in dimension 0`);
    }
  }
  get length(): number {
    return this.x.shape[0];
  }
  get(index: number): Sample {
    checkIndex("TensorDataset", index, this.length);
    const [x, y] = this.getBatch([index]);
    return [x.squeeze(0), y.squeeze(0)];
  }
  getBatch(indices: readonly number[]): Sample {
    for (const i of indices) checkIndex("TensorDataset", i, this.length);
    const idx = tensor(Int32Array.from(indices), { device: this.x.device });
    return [indexSelect(this.x, 0, idx), indexSelect(this.y, 0, idx)];
  }
}

/** A view of some samples of another dataset (what randomSplit and kFold return). */
export class Subset implements Dataset {
  constructor(readonly dataset: Dataset, readonly indices: readonly number[]) {
    for (const i of indices) checkIndex("Subset", i, dataset.length);
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): Sample {
    checkIndex("Subset", index, this.length);
    return this.dataset.get(this.indices[index]);
  }
  getBatch(indices: readonly number[]): Sample {
    const mapped = indices.map((i) => {
      checkIndex("Subset", i, this.length);
      return this.indices[i];
    });
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped);
    return stackSamples(mapped.map((i) => this.dataset.get(i)));
  }
}

export function checkIndex(where: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${where}: index ${index} is out of range for a dataset of ${length} samples`);
  }
}

/** Stack per-sample tensors into a batch (the default collate). */
export function stackSamples(samples: Sample[]): Sample {
  if (samples.length === 0) throw new RangeError("collate: cannot make a batch of zero samples");
  return [stack(samples.map((s) => s[0]), 0), stack(samples.map((s) => s[1]), 0)];
}
