// Grid enumeration: every combination of a space's lists, in the order of nested loops over its
// keys (the first key outermost, the last one changing fastest), like itertools.product.

import { type Dimension, type ParamsOf, type Space, dimensions } from "./space.js";

/** The number of combinations (Infinity when a dimension is continuous). */
export function combinationCount(dims: readonly Dimension[]): number {
  return dims.reduce((n, d) => n * d.size, 1);
}

/** The combination at position `index` of the grid (a mixed-radix number over the dimensions' sizes). */
export function combinationAt(dims: readonly Dimension[], index: number): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (let j = dims.length - 1; j >= 0; j--) {
    const size = dims[j].size;
    params[dims[j].name] = dims[j].valueAt(index % size);
    index = Math.floor(index / size);
  }
  // Keep the space's key order (the loop above filled it backwards).
  return Object.fromEntries(dims.map((d) => [d.name, params[d.name]]));
}

/** Checks that every dimension is a finite list (what grid search can enumerate). */
export function gridDimensions(space: unknown, where: string): Dimension[] {
  const dims = dimensions(space, where);
  for (const d of dims) {
    if (!Number.isFinite(d.size)) {
      throw new TypeError(`${where}: space.${d.name} is ${String((space as Record<string, unknown>)[d.name])}, a continuous distribution; grid search needs a list of values (or nb.tune.choice / intRange); use randomSearch to sample it`);
    }
  }
  return dims;
}

/** Every combination of the space, e.g. grid({ a: [1, 2], b: ["x", "y"] }) → a1 bx, a1 by, a2 bx, a2 by. */
export function grid<S extends Space>(space: S): ParamsOf<S>[] {
  const dims = gridDimensions(space, "grid");
  const count = combinationCount(dims);
  return Array.from({ length: count }, (_, i) => combinationAt(dims, i) as ParamsOf<S>);
}
