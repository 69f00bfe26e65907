// A seeded random permutation of 0..n−1 (Fisher–Yates on one draw of n uniforms from the
// generator): the one shuffle behind DataLoader, randomSplit and the detection trainers, so a
// seed gives the same order everywhere.

import type { Generator } from "../tensor/random.js";

export function randomPermutation(n: number, gen: Generator): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const u = gen.hostUniform(n);
  for (let i = n - 1; i > 0; i--) {
    // min: a uniform that rounds up to 1 must not index past i.
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}
