// Making tensors: from JavaScript data, filled, ranges, identity and random draws.

import type { Backend } from "../backend/backend.js";
import { activeBackend, getBackendByName } from "../backend/registry.js";
import { arrayFor, assertDType, dtypeOfArray, type DType, type TypedArray } from "../core/dtype.js";
import { assertShape, contiguousStrides, formatShape, numelOf } from "../core/shape.js";
import { Storage } from "./storage.js";
import { Tensor } from "./tensor.js";
import { defaultGenerator, type Generator } from "./random.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  device?: string;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type NestedArray = number | boolean | NestedArray[];

export function backendFor(opts: { device?: string } | undefined, where: string): Backend {
  return opts?.device !== undefined ? getBackendByName(opts.device, where) : activeBackend();
}

/**
 * A new contiguous tensor, zero-filled; with `uninitialized` its contents are unspecified and the
 * caller must write every element (ops allocating kernel outputs do that).
 */
export function emptyTensor(shape: readonly number[], dtype: DType, backend: Backend, uninitialized = false): Tensor {
  const size = numelOf(shape);
  return new Tensor(new Storage(backend, backend.alloc(dtype, size, uninitialized), dtype, size), [...shape], contiguousStrides(shape));
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray, where: string): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], out: TypedArray, where: string): void {
  let k = 0;
  const walk = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new RangeError(`${where}: ragged nested array at index [${path.join(", ")}]: expected a number, found an array (inferred shape ${formatShape(shape)})`);
      if (typeof v !== "number" && typeof v !== "boolean") throw new TypeError(`${where}: element at [${path.join(", ")}] is ${typeof v}, expected a number or boolean`);
      out[k++] = typeof v === "boolean" ? (v ? 1 : 0) : v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(`${where}: ragged nested array at index [${path.join(", ")}]: expected ${shape[dim]} elements like the first row (inferred shape ${formatShape(shape)}), found ${Array.isArray(v) ? v.length : "a scalar"}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, [...path, i]);
  };
  walk(data, 0, []);
}

/** nb.tensor(data, opts): from a number, nested arrays, or a typed array with opts.shape. */
export function tensor(data: NestedArray | TypedArray, opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const where = "tensor";
  const backend = backendFor(opts, where);
  if (ArrayBuffer.isView(data)) {
    const ta = data as TypedArray;
    const dtype = opts.dtype ? assertDType(opts.dtype, where) : dtypeOfArray(ta);
    const shape = opts.shape ? assertShape(where, opts.shape) : [ta.length];
    if (numelOf(shape) !== ta.length) {
      throw new RangeError(`tensor: shape ${formatShape(shape)} needs ${numelOf(shape)} elements but the typed array has ${ta.length}`);
    }
    const copyArr = arrayFor(dtype, ta.length);
    copyArr.set(ta as unknown as ArrayLike<number>);
    return finish(new Tensor(new Storage(backend, backend.fromHost(copyArr), dtype, ta.length), shape), opts);
  }
  if (typeof data !== "number" && typeof data !== "boolean" && !Array.isArray(data)) {
    throw new TypeError(`tensor: data must be a number, boolean, nested array or typed array, got ${data === null ? "null" : typeof data}`);
  }
  const shape = inferShape(data, where);
  if (opts.shape && numelOf(opts.shape) !== numelOf(shape)) {
    throw new RangeError(`tensor: shape ${formatShape(opts.shape)} does not fit data of shape ${formatShape(shape)}`);
  }
  const isBoolData = firstLeaf(data) === "boolean";
  const dtype = opts.dtype ? assertDType(opts.dtype, where) : isBoolData ? "bool" : "float32";
  const values = arrayFor(dtype, numelOf(shape));
  flatten(data, shape, values, where);
  const finalShape = opts.shape ? assertShape(where, opts.shape) : shape;
  return finish(new Tensor(new Storage(backend, backend.fromHost(values), dtype, values.length), finalShape), opts);
}

function firstLeaf(data: NestedArray): string {
  let v: NestedArray = data;
  while (Array.isArray(v)) {
    if (v.length === 0) return "number";
    v = v[0];
  }
  return typeof v;
}

function shapeArg(shape: number | readonly number[], where: string): number[] {
  return assertShape(where, typeof shape === "number" ? [shape] : shape);
}

export function full(shape: number | readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  const s = shapeArg(shape, "full");
  if (typeof value !== "number" && typeof value !== "boolean") throw new TypeError(`full: value must be a number, got ${typeof value}`);
  const t = emptyTensor(s, opts.dtype ? assertDType(opts.dtype, "full") : "float32", backendFor(opts, "full"));
  if (value !== 0) t.backend.fill(t.raw(), Number(value));
  return finish(t, opts);
}

export const zeros = (shape: number | readonly number[], opts?: TensorOptions): Tensor => full(shape, 0, opts);
export const ones = (shape: number | readonly number[], opts?: TensorOptions): Tensor => full(shape, 1, opts);
export const empty = (shape: number | readonly number[], opts?: TensorOptions): Tensor => full(shape, 0, opts);

function likeOpts(t: Tensor, opts: TensorOptions = {}): TensorOptions {
  return { dtype: opts.dtype ?? t.dtype, device: opts.device ?? t.device, requiresGrad: opts.requiresGrad };
}
export const zerosLike = (t: Tensor, opts?: TensorOptions): Tensor => full(t.shape, 0, likeOpts(t, opts));
export const onesLike = (t: Tensor, opts?: TensorOptions): Tensor => full(t.shape, 1, likeOpts(t, opts));
export const fullLike = (t: Tensor, value: number, opts?: TensorOptions): Tensor => full(t.shape, value, likeOpts(t, opts));

/** Values from start (inclusive) to end (exclusive) by step; arange(n) counts 0..n-1. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  for (const [k, v] of [["start", start], ["end", end], ["step", step]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`arange: ${k} must be a finite number, got ${v}`);
  }
  if (step === 0) throw new RangeError("arange: step must be non-zero");
  if ((end - start) / step < 0) throw new RangeError(`arange: the range from ${start} to ${end} is empty in the direction of step ${step}; swap the bounds or change the sign of step`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? "float32";
  const values = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return tensor(values, { ...opts, dtype, shape: [n] });
}

export function linspace(a: number, b: number, n: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${n}`);
  const values = new Float64Array(n);
  const step = n > 1 ? (b - a) / (n - 1) : 0;
  // Fill from both ends as torch does, so the last value is exactly b.
  for (let i = 0; i < n; i++) values[i] = i < n / 2 ? a + step * i : b - step * (n - 1 - i);
  return tensor(values, { ...opts, dtype: opts.dtype ?? "float32", shape: [n] });
}

export function eye(n: number, m: number | TensorOptions = n, opts: TensorOptions = {}): Tensor {
  if (typeof m === "object") [m, opts] = [n, m];
  const t = zeros([n, m], opts);
  const values = arrayFor(t.dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return tensor(values, { ...opts, dtype: t.dtype, shape: [n, m] });
}

function randomTensor(shape: number | readonly number[], dist: "uniform" | "normal", opts: RandomOptions, where: string): Tensor {
  const s = shapeArg(shape, where);
  const dtype = opts.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new TypeError(`${where}: dtype must be float32 or float64, got ${dtype}`);
  const t = emptyTensor(s, dtype, backendFor(opts, where));
  const gen = opts.generator ?? defaultGenerator;
  const { seed, offset } = gen.next(t.numel());
  t.backend.random(t.raw(), dist, seed, offset);
  return finish(t, opts);
}

/** Uniform samples in [0, 1). */
export const rand = (shape: number | readonly number[], opts: RandomOptions = {}): Tensor => randomTensor(shape, "uniform", opts, "rand");
/** Standard normal samples. */
export const randn = (shape: number | readonly number[], opts: RandomOptions = {}): Tensor => randomTensor(shape, "normal", opts, "randn");

/** Uniform integers in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: number | readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  const u = randomTensor(shape, "uniform", { ...opts, dtype: "float64", requiresGrad: false }, "randint");
  const data = u.dataSync();
  u.dispose();
  const dtype = opts.dtype ?? "int32";
  const values = arrayFor(dtype, data.length);
  for (let i = 0; i < data.length; i++) values[i] = low + Math.floor(data[i] * (high - low));
  return tensor(values, { device: opts.device, dtype, shape: shapeArg(shape, "randint") });
}
