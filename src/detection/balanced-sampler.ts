// BalancedPositiveNegativeSampler (torchvision.models.detection._utils): per image, at most
// batchSizePerImage·positiveFraction positives (label ≥ 1) and the rest of the batch negatives
// (label 0), drawn at random without replacement; label −1 is never drawn. Returns the drawn
// indices in ascending order (torchvision returns masks, which its callers turn into indices).

import { rand } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";

export interface SampledIndices {
  positive: Int32Array;
  negative: Int32Array;
}

/** `count` distinct entries of `pool` chosen uniformly (a random permutation's first `count`). */
function choose(pool: number[], count: number, generator?: Generator): number[] {
  if (count >= pool.length) return pool;
  const keys = rand([pool.length], generator ? { generator } : {}).dataSync();
  const order = pool.map((_, i) => i).sort((a, b) => keys[a] - keys[b]);
  return order.slice(0, count).map((i) => pool[i]).sort((a, b) => a - b);
}

export class BalancedPositiveNegativeSampler {
  readonly batchSizePerImage: number;
  readonly positiveFraction: number;
  readonly generator: Generator | undefined;

  constructor(batchSizePerImage: number, positiveFraction: number, generator?: Generator) {
    if (!Number.isInteger(batchSizePerImage) || batchSizePerImage < 1) {
      throw new RangeError(`BalancedPositiveNegativeSampler: batchSizePerImage must be a positive integer, got ${batchSizePerImage}`);
    }
    if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
      throw new RangeError(`BalancedPositiveNegativeSampler: positiveFraction must be in [0, 1], got ${positiveFraction}`);
    }
    this.batchSizePerImage = batchSizePerImage;
    this.positiveFraction = positiveFraction;
    this.generator = generator;
  }

  /** One draw per image from its labels (−1 ignore, 0 negative, ≥ 1 positive). */
  sample(labels: readonly ArrayLike<number>[]): SampledIndices[] {
    return labels.map((l) => {
      const pos: number[] = [], neg: number[] = [];
      for (let i = 0; i < l.length; i++) {
        if (l[i] >= 1) pos.push(i);
        else if (l[i] === 0) neg.push(i);
      }
      const numPos = Math.min(pos.length, Math.floor(this.batchSizePerImage * this.positiveFraction));
      const numNeg = Math.min(neg.length, this.batchSizePerImage - numPos);
      return { positive: Int32Array.from(choose(pos, numPos, this.generator)), negative: Int32Array.from(choose(neg, numNeg, this.generator)) };
    });
  }
}
