// What crossValidate, nb.tune and nb.ensemble.bagging ask the user for: a function that builds a
// fresh model (and, optionally, its optimizer) for each fold, trial or ensemble member. Also the
// seeds derived from one user seed so that each of those runs is reproducible on its own.

import { Module } from "../nn/module.js";
import { Optimizer } from "../optim/optimizer.js";

/** A builder's result: a model with its optimizer, or just the model (an optimizer factory then makes one). */
export type Built = Module | { model: Module; optimizer?: Optimizer };

export type OptimizerFactory = (model: Module) => Optimizer;

/** The model and optimizer of a builder's result; `where` names the calling function in errors. */
export function resolveBuilt(built: unknown, makeOptimizer: OptimizerFactory | undefined, where: string): { model: Module; optimizer: Optimizer } {
  if (built instanceof Module) {
    if (makeOptimizer === undefined) {
      throw new TypeError(
        `${where}: the builder returned a Module without an optimizer; return { model, optimizer } or give ` +
          "fitOptions.optimizer: (model) => new nb.optim.Adam(model.parameters())",
      );
    }
    const optimizer = makeOptimizer(built);
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${where}: fitOptions.optimizer(model) must return an nb.optim optimizer`);
    return { model: built, optimizer };
  }
  const b = built as { model?: unknown; optimizer?: unknown } | null;
  if (b && typeof b === "object" && b.model instanceof Module) {
    if (b.optimizer instanceof Optimizer) return { model: b.model, optimizer: b.optimizer };
    if (b.optimizer === undefined) return resolveBuilt(b.model, makeOptimizer, where);
    throw new TypeError(`${where}: the builder's optimizer must be an nb.optim optimizer`);
  }
  throw new TypeError(`${where}: the builder must return an nb.nn.Module or { model, optimizer }, got ${describeValue(built)}`);
}

/** A 31-bit seed for run `index` of a search or ensemble seeded with `seed` (distinct runs, distinct seeds). */
export function deriveSeed(seed: number, index: number): number {
  // Two rounds of a multiply-xorshift mix (murmur3's finaliser constants) over seed and index.
  let h = Math.imul((seed | 0) ^ 0x5bd1e995, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 1;
}

export function checkSeed(seed: unknown, where: string): void {
  if (seed !== undefined && !Number.isInteger(seed)) throw new TypeError(`${where}: seed must be an integer, got ${describeValue(seed)}`);
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Module) return `a ${v.constructor.name}`;
  if (typeof v === "object") return `an object with keys {${Object.keys(v as object).join(", ")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}
