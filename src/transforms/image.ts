// Shared plumbing for the image transforms: reading a [C, H, W] or [N, C, H, W] tensor into a
// contiguous typed array, building the result tensor from one, and checking options. Transforms
// run on data, not inside the graph, so they work on host arrays where that is simpler and faster.

import type { Backend } from "../backend/backend.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { optionNames } from "../core/options.js";
import { defaultGenerator, Generator } from "../tensor/random.js";

export type FloatArray = Float32Array | Float64Array;

/** An image or a batch of images as one contiguous row-major array. */
export interface Images {
  data: FloatArray;
  n: number;
  c: number;
  h: number;
  w: number;
  /** Whether the input had the batch dimension (the output keeps the input's rank). */
  batched: boolean;
  dtype: "float32" | "float64";
  backend: Backend;
}

/** Check x is a float [C, H, W] or [N, C, H, W] tensor and read it. */
export function readImages(where: string, x: unknown): Images {
  const t = checkImageTensor(where, x);
  const batched = t.ndim === 4;
  const [n, c, h, w] = batched ? t.shape : [1, ...t.shape];
  return { data: t.dataSync() as FloatArray, n, c, h, w, batched, dtype: t.dtype as "float32" | "float64", backend: t.backend };
}

export function checkImageTensor(where: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${where}: expected an image tensor [C, H, W] or a batch [N, C, H, W], got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with nb.tensor)" : typeof x}`);
  }
  if (x.isDisposed) throw new Error(`${where}: the input tensor has been disposed`);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new RangeError(`${where}: expected an image [C, H, W] or a batch [N, C, H, W], got shape ${formatShape(x.shape)} (rank ${x.ndim})`);
  }
  if (x.dtype !== "float32" && x.dtype !== "float64") {
    throw new TypeError(`${where}: expected a float32 or float64 image, got ${x.dtype} (convert with x.to("float32"))`);
  }
  if (x.shape.slice(-3).some((s) => s === 0)) throw new RangeError(`${where}: the image is empty (shape ${formatShape(x.shape)})`);
  return x;
}

/** A new array for `n` images of c x h x w in the input's dtype. */
export function allocImages(like: Images, c: number, h: number, w: number): FloatArray {
  const size = like.n * c * h * w;
  return like.dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
}

/** The result tensor over `data` (taken, not copied), with the input's rank, dtype and device. */
export function toTensor(like: Images, data: FloatArray, c: number, h: number, w: number): Tensor {
  const shape = like.batched ? [like.n, c, h, w] : [c, h, w];
  return new Tensor(new Storage(like.backend, like.backend.fromHost(data), like.dtype, data.length), shape);
}

export interface RandomTransformOptions {
  /** Where parameters are drawn from; default: the global generator (seeded by nb.manualSeed). */
  generator?: Generator;
}

export const RANDOM_TRANSFORM_OPTIONS = optionNames<RandomTransformOptions>({ generator: 1 });

export function generatorOf(where: string, g: Generator | undefined): Generator {
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${where}: generator must be an nb.Generator, got ${typeof g}`);
  return g;
}

export function checkProbability(where: string, name: string, p: unknown): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${where}: ${name} must be a probability in [0, 1], got ${String(p)}`);
  }
  return p;
}

export function checkFinite(where: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${where}: ${name} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** A [min, max] pair from a number (meaning [center - v, center + v]) or a pair. */
export function rangeOption(
  where: string, name: string, v: number | readonly number[], opts: { center?: number; lower?: number; upper?: number; clipLower?: boolean } = {},
): [number, number] {
  const center = opts.center ?? 0;
  const lower = opts.lower ?? -Infinity, upper = opts.upper ?? Infinity;
  let lo: number, hi: number;
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${where}: ${name} must be a non-negative number or a [min, max] pair, got ${v}`);
    // clipLower: a factor range 1 ± v stops at the lower bound (torchvision's clip_first_on_zero).
    [lo, hi] = [opts.clipLower ? Math.max(center - v, lower) : center - v, center + v];
  } else if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === "number" && Number.isFinite(e))) {
    [lo, hi] = [v[0], v[1]];
    if (lo > hi) throw new RangeError(`${where}: ${name} range [${lo}, ${hi}] has min > max`);
  } else {
    throw new TypeError(`${where}: ${name} must be a number or a [min, max] pair, got ${JSON.stringify(v)}`);
  }
  if (lo < lower || hi > upper) throw new RangeError(`${where}: ${name} range [${lo}, ${hi}] must lie within [${lower}, ${upper}]`);
  return [lo, hi];
}

/** [height, width] from a size given as one number (square) or [h, w]. */
export function sizePair(where: string, name: string, size: number | readonly number[]): [number, number] {
  const pair = typeof size === "number" ? [size, size] : Array.isArray(size) ? [...size] : [];
  if (pair.length !== 2 || pair.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new RangeError(`${where}: ${name} must be a positive integer or [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  return [pair[0], pair[1]];
}

/** Per-channel fill values from one number or one per channel. */
export function fillValues(where: string, fill: number | readonly number[], c: number): number[] {
  if (typeof fill === "number") return new Array<number>(c).fill(fill);
  if (fill.length === 1) return new Array<number>(c).fill(fill[0]);
  if (fill.length !== c) throw new RangeError(`${where}: fill has ${fill.length} values but the image has ${c} channels`);
  return [...fill];
}

export function checkFill(where: string, fill: unknown): number | number[] {
  if (typeof fill === "number" && Number.isFinite(fill)) return fill;
  if (Array.isArray(fill) && fill.length > 0 && fill.every((v) => typeof v === "number" && Number.isFinite(v))) return [...fill];
  throw new TypeError(`${where}: fill must be a number or an array of numbers (one per channel), got ${JSON.stringify(fill)}`);
}

export function checkCenter(where: string, center: unknown): readonly [number, number] | null {
  if (center === undefined || center === null) return null;
  if (!Array.isArray(center) || center.length !== 2 || !center.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new TypeError(`${where}: center must be [x, y] in pixels, got ${JSON.stringify(center)}`);
  }
  return [center[0], center[1]];
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offsets use it). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const lerp = (u: number, lo: number, hi: number): number => lo + u * (hi - lo);
