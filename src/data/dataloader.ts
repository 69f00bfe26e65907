// DataLoader: batches of [x, y] from a dataset, optionally shuffled by its own seeded generator,
// with per-sample and per-batch transforms. Iterate with for...of or for await...of.

import { Tensor } from "../tensor/tensor.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { type Dataset, type Sample, stackSamples } from "./dataset.js";
import { randomPermutation } from "./permutation.js";

/**
 * What `transform` and `batchTransform` take: a function of a tensor, or a transform object with
 * `apply(x)` — every nb.transforms class, a Compose of them, or your own. (The same type as
 * nb.transforms.TransformLike; the loader turns either into a function once, when it is built.)
 */
export type Transform = ((x: Tensor) => Tensor) | { apply(x: Tensor): Tensor };

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Applied to each sample's x before batching. */
  transform?: Transform;
  /** Applied to each batch's x ([N, ...]). */
  batchTransform?: Transform;
  /** Seed of the loader's own shuffling generator (default: drawn from the global generator). */
  seed?: number;
  generator?: Generator;
  /** The indices to load each epoch instead of 0..n-1 (e.g. a DistributedSampler); not with shuffle. */
  sampler?: Iterable<number>;
}

/** Every DataLoaderOptions name (unknown names are an error). */
export const DATA_LOADER_OPTIONS = optionNames<DataLoaderOptions>({
  batchSize: 1, shuffle: 1, dropLast: 1, transform: 1, batchTransform: 1, seed: 1, generator: 1, sampler: 1,
});

/** A Transform as a plain function (undefined stays undefined); `where` names the option in errors. */
export function transformFn(where: string, t: Transform | undefined): ((x: Tensor) => Tensor) | undefined {
  if (t === undefined) return undefined;
  if (typeof t === "function") return t;
  if (t !== null && typeof t === "object" && typeof (t as { apply?: unknown }).apply === "function") return (x: Tensor) => t.apply(x);
  throw new TypeError(`${where} must be a function (x) => x or a transform object with apply(x) (e.g. new nb.transforms.Normalize(...)), got ${describe(t)}`);
}

export class DataLoader implements Iterable<Sample>, AsyncIterable<Sample> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  readonly sampler?: Iterable<number>;
  private readonly transform?: (x: Tensor) => Tensor;
  private readonly batchTransform?: (x: Tensor) => Tensor;

  constructor(readonly dataset: Dataset, opts: DataLoaderOptions = {}) {
    if (!dataset || typeof dataset.get !== "function" || typeof dataset.length !== "number") {
      throw new TypeError("DataLoader: dataset must have a length and a get(index) method (e.g. a TensorDataset)");
    }
    checkOptions("DataLoader", opts, DATA_LOADER_OPTIONS);
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    this.shuffle = opts.shuffle ?? false;
    if (opts.sampler !== undefined) {
      if (typeof (opts.sampler as Iterable<number>)?.[Symbol.iterator] !== "function") throw new TypeError("DataLoader: sampler must be an iterable of indices (e.g. an nb.data.DistributedSampler)");
      if (this.shuffle) throw new Error("DataLoader: sampler and shuffle: true are exclusive (the sampler decides the order; DistributedSampler shuffles itself)");
      this.sampler = opts.sampler;
    }
    this.dropLast = opts.dropLast ?? false;
    this.transform = transformFn("DataLoader: transform", opts.transform);
    this.batchTransform = transformFn("DataLoader: batchTransform", opts.batchTransform);
    this.generator = opts.generator ?? new Generator(opts.seed ?? 0x10ade5);
  }

  /** The same loader (batch size, dropLast, transforms) reading `sampler`'s indices instead: how nb.fit shards a loader over the ranks. */
  withSampler(sampler: Iterable<number>): DataLoader {
    return new DataLoader(this.dataset, {
      batchSize: this.batchSize, dropLast: this.dropLast, transform: this.transform, batchTransform: this.batchTransform, generator: this.generator, sampler,
    });
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.sampler ? this.order().length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** This epoch's sample order: the sampler's indices, a Fisher–Yates shuffle from the loader's generator, or 0..n-1. */
  order(): number[] {
    if (this.sampler) return [...this.sampler];
    const n = this.dataset.length;
    return this.shuffle ? randomPermutation(n, this.generator) : Array.from({ length: n }, (_, i) => i);
  }

  batch(indices: readonly number[]): Sample {
    return tidy(() => {
      let batch: Sample;
      if (this.transform || !this.dataset.getBatch) {
        batch = stackSamples(indices.map((i) => {
          const [x, y] = this.dataset.get(i);
          return [this.transform ? this.transform(x) : x, y];
        }));
      } else batch = this.dataset.getBatch(indices);
      if (this.batchTransform) batch = [this.batchTransform(batch[0]), batch[1]];
      return batch;
    });
  }

  *[Symbol.iterator](): Iterator<Sample> {
    const order = this.order();
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      if (this.dropLast && indices.length < this.batchSize) return;
      yield this.batch(indices);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Sample> {
    for (const b of this) yield b;
  }
}
