// Checks shared by the layers: hyper-parameters at construction (the error names the layer class
// and the parameter) and inputs in forward (the error names the layer by its dotted path).

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import type { Module } from "./module.js";

export type { IntOrTuple } from "../core/int-tuple.js";

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
}

/** An integer ≥ min (1 by default). */
export function checkInt(layer: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    const what = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer >= ${min}`;
    throw new RangeError(`${layer}: ${name} must be ${what}, got ${show(v)}`);
  }
  return v;
}

/** A finite number, optionally within [lo, hi]. */
export function checkNumber(layer: string, name: string, v: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) {
    const range = lo === -Infinity && hi === Infinity ? "a finite number" : hi === Infinity ? `a number >= ${lo}` : lo === -Infinity ? `a number <= ${hi}` : `a number in [${lo}, ${hi}]`;
    throw new RangeError(`${layer}: ${name} must be ${range}, got ${show(v)}`);
  }
  return v;
}

/** A strictly positive finite number. */
export function checkPositive(layer: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`${layer}: ${name} must be a positive number, got ${show(v)}`);
  return v;
}

/** A dropout probability in [0, 1]. */
export function checkProbability(layer: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new RangeError(`${layer}: ${name} must be a probability in [0, 1], got ${show(v)}`);
  return v;
}

export function checkBool(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${layer}: ${name} must be true or false, got ${show(v)}`);
  return v;
}

export function checkChoice<T extends string>(layer: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) throw new RangeError(`${layer}: ${name} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${show(v)}`);
  return v as T;
}

/** The input must be a tensor whose rank is one of `ranks`; `layout` says what the dims mean. */
export function checkInput(m: Module, x: unknown, ranks: readonly number[], layout: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw m.layerError(`expected a Tensor input, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with nb.tensor)" : typeof x}`, "type");
  }
  if (!ranks.includes(x.ndim)) {
    const want = ranks.map((r) => `${r}D`).join(" or ");
    throw m.layerError(`expected a ${want} input (${layout}), got shape ${formatShape(x.shape)}`);
  }
  return x;
}

/** The input must be a tensor of rank ≥ min. */
export function checkMinRank(m: Module, x: unknown, min: number, layout: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw m.layerError(`expected a Tensor input, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with nb.tensor)" : typeof x}`, "type");
  }
  if (x.ndim < min) throw m.layerError(`expected an input with at least ${min} dimension${min === 1 ? "" : "s"} (${layout}), got shape ${formatShape(x.shape)}`);
  return x;
}

/** Size of dim `dim` must be `expected`; `what` names it ("channels", "features"). */
export function checkDimSize(m: Module, x: Tensor, dim: number, expected: number, what: string): void {
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.shape[d] !== expected) {
    throw m.layerError(`expected input with ${expected} ${what} (dim ${d}), got ${x.shape[d]} in shape ${formatShape(x.shape)}`);
  }
}

/** Torch-style tuple text for reprs: [3, 3]. */
export function reprTuple(v: readonly number[] | number): string {
  return typeof v === "number" ? String(v) : `[${v.join(", ")}]`;
}
