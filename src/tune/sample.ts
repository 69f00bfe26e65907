// Random draws from a space for randomSearch. Each trial draws one uniform number per parameter
// from a seeded Generator. When every parameter is a finite list, trials are drawn from the grid
// without replacement (as scikit-learn's ParameterSampler does), so no combination is trained twice.

import { Generator } from "../tensor/random.js";
import { type Dimension } from "./space.js";
import { combinationAt, combinationCount } from "./grid.js";

/** `trials` parameter sets (fewer when a finite grid has fewer combinations). */
export function sampleParams(dims: readonly Dimension[], trials: number, gen: Generator): Record<string, unknown>[] {
  const total = combinationCount(dims);
  if (Number.isFinite(total) && total <= Number.MAX_SAFE_INTEGER) return sampleGrid(dims, Math.min(trials, total), total, gen);
  return Array.from({ length: trials }, () => {
    const u = gen.hostUniform(dims.length);
    return Object.fromEntries(dims.map((d, j) => [d.name, d.at(u[j])]));
  });
}

/** The first m positions of a random permutation of 0..total-1 (a partial Fisher–Yates over a sparse map). */
function sampleGrid(dims: readonly Dimension[], m: number, total: number, gen: Generator): Record<string, unknown>[] {
  const u = gen.hostUniform(m);
  const swapped = new Map<number, number>();
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < m; i++) {
    const j = i + Math.min(Math.floor(u[i] * (total - i)), total - i - 1);
    const at = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(combinationAt(dims, at));
  }
  return out;
}
