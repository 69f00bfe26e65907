// Bootstrap samples: m indices drawn uniformly, with replacement, from 0..n-1.

import type { Generator } from "../tensor/random.js";

export function bootstrapIndices(n: number, m: number, gen: Generator): number[] {
  const u = gen.hostUniform(m);
  return Array.from(u, (v) => Math.min(Math.floor(v * n), n - 1));
}
