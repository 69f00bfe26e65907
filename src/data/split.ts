// Hold-out and cross-validation splits: randomSplit (e.g. 60:20:20) and kFold indices.

import { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { type Dataset, Subset } from "./dataset.js";
import { randomPermutation } from "./permutation.js";

export interface RandomSplitOptions {
  /** Seed of the split's own generator (default 0). */
  seed?: number;
  generator?: Generator;
}

export const RANDOM_SPLIT_OPTIONS = optionNames<RandomSplitOptions>({ seed: 1, generator: 1 });

/**
 * Split a dataset into non-overlapping random subsets. `sizes` are fractions summing to 1 (the
 * remainder of the rounding goes to the first splits, as torch does) or absolute counts.
 */
export function randomSplit(ds: Dataset, sizes: readonly number[], opts: RandomSplitOptions = {}): Subset[] {
  checkOptions("randomSplit", opts, RANDOM_SPLIT_OPTIONS);
  const n = ds.length;
  let counts: number[];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => s < 0 || !Number.isFinite(s))) throw new RangeError(`randomSplit: sizes must be non-negative numbers, got ${JSON.stringify(sizes)}`);
  if (Math.abs(total - 1) < 1e-9 && sizes.some((s) => !Number.isInteger(s))) {
    counts = sizes.map((f) => Math.floor(f * n));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
  } else {
    if (total !== n) throw new RangeError(`randomSplit: sizes ${JSON.stringify(sizes)} must be fractions summing to 1 or counts summing to the dataset length ${n}`);
    counts = [...sizes];
  }
  const perm = randomPermutation(n, opts.generator ?? new Generator(opts.seed ?? 0));
  const out: Subset[] = [];
  let start = 0;
  for (const c of counts) {
    out.push(new Subset(ds, perm.slice(start, start + c)));
    start += c;
  }
  return out;
}

export interface Fold {
  train: number[];
  validation: number[];
}

export interface KFoldOptions {
  /** Shuffle the indices before cutting the folds (default false, as scikit-learn). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

export const K_FOLD_OPTIONS = optionNames<KFoldOptions>({ shuffle: 1, seed: 1 });

/** k folds of 0..n-1: each sample is in exactly one validation fold (sizes differ by at most 1). */
export function kFold(n: number, k: number, opts: KFoldOptions = {}): Fold[] {
  checkOptions("kFold", opts, K_FOLD_OPTIONS, { random_state: "seed", randomState: "seed" });
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`kFold: k must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(n) || n < k) throw new RangeError(`kFold: need at least k=${k} samples, got ${n}`);
  const order = opts.shuffle ? randomPermutation(n, new Generator(opts.seed ?? 0)) : Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    // Like scikit-learn's KFold, the first n % k folds get one extra sample.
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const validation = order.slice(start, start + size);
    folds.push({ train: [...order.slice(0, start), ...order.slice(start + size)], validation });
    start += size;
  }
  return folds;
}
