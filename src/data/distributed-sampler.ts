// DistributedSampler: each rank's share of a dataset's indices for data-parallel training, as
// torch.utils.data.DistributedSampler: without dropLast the index list is padded (by repeating its
// start) to a multiple of numReplicas so every rank gets as many samples; with dropLast the tail is
// cut instead. Rank r takes every numReplicas-th index from r. With shuffle, the order is a
// permutation seeded by seed + epoch (call setEpoch each epoch), the same on every rank; it comes
// from nabla's Philox generator, so the shuffled order differs from torch's (the sharding rule is
// the same).
import { checkOptions, optionNames } from "../core/options.js";
import { Generator } from "../tensor/random.js";
import { joinedGroup } from "../distributed/state.js";
import { randomPermutation } from "./permutation.js";

export interface DistributedSamplerOptions {
  /** Default: the process group's world size. */
  numReplicas?: number;
  /** Default: the process group's rank. */
  rank?: number;
  /** Default true, as torch. */
  shuffle?: boolean;
  /** Default 0; must be the same on every rank. */
  seed?: number;
  /** Default false: pad to equal shards; true: drop the tail instead. */
  dropLast?: boolean;
}
const OPTIONS = optionNames<DistributedSamplerOptions>({ numReplicas: 1, rank: 1, shuffle: 1, seed: 1, dropLast: 1 });

export class DistributedSampler implements Iterable<number> {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices this rank gets per epoch. */
  readonly numSamples: number;
  /** numSamples × numReplicas. */
  readonly totalSize: number;
  private epoch = 0;

  constructor(readonly dataset: { readonly length: number }, opts: DistributedSamplerOptions = {}) {
    const where = "DistributedSampler";
    checkOptions(where, opts, OPTIONS);
    if (!dataset || !Number.isInteger(dataset.length) || dataset.length < 0) throw new TypeError(`${where}: dataset must have a length (e.g. a TensorDataset)`);
    const group = joinedGroup();
    for (const what of ["numReplicas", "rank"] as const) {
      if (opts[what] === undefined && !group) throw new Error(`${where}: ${what} is not given and there is no process group (pass {numReplicas, rank} or call nb.distributed.initProcessGroup() first)`);
    }
    this.numReplicas = opts.numReplicas ?? group!.worldSize;
    this.rank = opts.rank ?? group!.rank;
    if (!Number.isInteger(this.numReplicas) || this.numReplicas < 1) throw new RangeError(`${where}: numReplicas must be a positive integer, got ${this.numReplicas}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.numReplicas) {
      throw new RangeError(`${where}: rank must be in 0 … ${this.numReplicas - 1} (numReplicas ${this.numReplicas}), got ${this.rank}`);
    }
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new TypeError(`${where}: seed must be an integer, got ${this.seed}`);
    this.dropLast = opts.dropLast ?? false;
    const n = dataset.length;
    this.numSamples = this.dropLast && n % this.numReplicas !== 0 ? Math.ceil((n - this.numReplicas) / this.numReplicas) : Math.ceil(n / this.numReplicas);
    this.numSamples = Math.max(0, this.numSamples);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  /** Which shuffle the next epoch uses (every rank must set the same epoch). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`DistributedSampler.setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  get length(): number {
    return this.numSamples;
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    const n = this.dataset.length;
    let order = this.shuffle ? randomPermutation(n, new Generator(this.seed + this.epoch)) : Array.from({ length: n }, (_, i) => i);
    if (!this.dropLast) {
      // Pad by repeating the list from its start (several times when it is shorter than the padding).
      const padded = order.slice();
      while (padded.length < this.totalSize && n > 0) padded.push(...order.slice(0, this.totalSize - padded.length));
      order = padded;
    } else order = order.slice(0, this.totalSize);
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) mine.push(order[i]);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
