// Reductions over one, several or all dims, with keepdim, and their gradients.

import type { ArgReduceOp, ReduceOp } from "../backend/backend.js";
import { isFloating, type DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape, normalizeDim, normalizeDims, numelOf } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { noGrad } from "../autograd/grad-mode.js";
import { assertTensor, empty, scalar } from "./util.js";
import { add, div, eq, exp, log, mul, sub, where, square, sqrt } from "./elementwise.js";
import { expand, reshape, flatten } from "./view.js";
import { checkOptions } from "../core/options.js";
import { traceable } from "../graph/recorder.js";

export type Dims = number | readonly number[] | undefined;

/** The options form of a reduction's arguments: `x.sum({ dim: 1, keepdim: true })` as `x.sum(1, true)`. */
export interface ReduceOptions {
  dim?: number | readonly number[];
  keepdim?: boolean;
}

/** The options form of argmax/argmin: one dim. */
export interface ArgReduceOptions {
  dim?: number;
  keepdim?: boolean;
}

const REDUCE_RENAMED: Readonly<Record<string, string>> = { axis: "dim", axes: "dim", keepDim: "keepdim", keepdims: "keepdim", keepDims: "keepdim" };

const isOptions = (d: unknown): d is Record<string, unknown> => d !== null && typeof d === "object" && !Array.isArray(d);

/** [dim, keepdim] from either spelling: positional (dim, keepdim) or ({ dim, keepdim }). */
function dimArgs(op: string, dim: Dims | ReduceOptions, keepdim: boolean, extra: readonly string[] = []): [Dims, boolean] {
  if (!isOptions(dim)) return [dim as Dims, keepdim];
  checkOptions(op, dim, ["dim", "keepdim", ...extra], REDUCE_RENAMED);
  const k = dim.keepdim;
  if (k !== undefined && typeof k !== "boolean") throw new TypeError(`${op}: keepdim must be true or false, got ${String(k)}`);
  return [dim.dim as Dims, k ?? keepdim];
}

/** The keepdim shape of reducing `shape` over `axes`. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((s, i) => (axes.includes(i) ? 1 : s));
}

function finalShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

function reduceForward(op: ReduceOp, x: Tensor, axes: number[], keepdim: boolean, dtype: DType): Tensor {
  const kept = keptShape(x.shape, axes);
  const out = empty(kept, dtype, x.backend);
  const src = x.dtype === dtype ? x : x.to(dtype);
  x.backend.reduce(op, src.raw(), axes, out.raw());
  if (src !== x) src.dispose();
  if (keepdim) return out;
  const result = new Tensor(out.storage.retain(), finalShape(x.shape, axes, false));
  out.dispose();
  return result;
}

/** Broadcast a reduced gradient back over the input's shape. */
function spread(g: Tensor, inShape: readonly number[], axes: readonly number[]): Tensor {
  return expand(reshape(g, keptShape(inShape, axes)), inShape);
}

export const sum = traceable("sum", function sum(x: Tensor, dimOrOptions?: Dims | ReduceOptions, keepdimArg = false): Tensor {
  assertTensor("sum", x);
  const [dim, keepdim] = dimArgs("sum", dimOrOptions, keepdimArg);
  const axes = normalizeDims("sum", dim, x.ndim);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : "int32";
  const out = reduceForward("sum", x, axes, keepdim, dtype);
  const inShape = [...x.shape];
  return record("SumBackward", [x], out, (g) => [spread(g, inShape, axes)]);
});

export const mean = traceable("mean", function mean(x: Tensor, dimOrOptions?: Dims | ReduceOptions, keepdimArg = false): Tensor {
  assertTensor("mean", x);
  const [dim, keepdim] = dimArgs("mean", dimOrOptions, keepdimArg);
  if (!isFloating(x.dtype)) {
    throw new TypeError(`mean: input must be a floating-point tensor, got ${x.dtype}; convert it with .to("float32") first`);
  }
  const axes = normalizeDims("mean", dim, x.ndim);
  const count = numelOf(axes.map((a) => x.shape[a]));
  return div(sum(x, axes, keepdim), count);
});

function extremum(op: "max" | "min", x: Tensor, dimOrOptions: Dims | ReduceOptions, keepdimArg: boolean): Tensor {
  assertTensor(op, x);
  const [dim, keepdim] = dimArgs(op, dimOrOptions, keepdimArg);
  const axes = normalizeDims(op, dim, x.ndim);
  // Reducing an empty dim has no identity; reducing other dims of an empty tensor is fine (torch.amax).
  const emptyAxis = axes.find((a) => x.shape[a] === 0);
  if (emptyAxis !== undefined) {
    throw new RangeError(`${op}: cannot reduce over dimension ${emptyAxis} of size 0 (shape ${formatShape(x.shape)}): the result has no identity`);
  }
  const out = reduceForward(op, x, axes, keepdim, x.dtype === "bool" ? "bool" : x.dtype);
  const inShape = [...x.shape];
  return record(op === "max" ? "MaxBackward" : "MinBackward", [x], out, (g, [sx, sy]) => {
    // Ties share the gradient evenly, as torch.amax/amin.
    const hit = eq(sx, spread(sy, inShape, axes));
    const count = sum(hit, axes, true);
    return [div(mul(spread(g, inShape, axes), hit), count)];
  }, [x, out]);
}

export const max = traceable("max", (x: Tensor, dim?: Dims | ReduceOptions, keepdim = false): Tensor => extremum("max", x, dim, keepdim));
export const min = traceable("min", (x: Tensor, dim?: Dims | ReduceOptions, keepdim = false): Tensor => extremum("min", x, dim, keepdim));

export const prod = traceable("prod", function prod(x: Tensor, dimOrOptions?: Dims | ReduceOptions, keepdimArg = false): Tensor {
  assertTensor("prod", x);
  const [dim, keepdim] = dimArgs("prod", dimOrOptions, keepdimArg);
  const axes = normalizeDims("prod", dim, x.ndim);
  const dtype: DType = isFloating(x.dtype) ? x.dtype : "int32";
  const out = reduceForward("prod", x, axes, keepdim, dtype);
  const inShape = [...x.shape];
  return record("ProdBackward", [x], out, (g, [sx]) => {
    // ∂/∂x_i Π x = Π_{j≠i} x_j, exact with zeros: count them per slice and use the product of
    // the non-zero elements.
    const isZero = eq(sx, 0);
    const zeros = sum(isZero, axes, true);
    const nonZeroProd = spread(prod(where(isZero, 1, sx), axes, true), inShape, axes);
    const zerosB = spread(zeros, inShape, axes);
    const noZero = div(nonZeroProd, where(isZero, 1, sx));
    const grad = where(eq(zerosB, 0), noZero, where(isZero, where(eq(zerosB, 1), nonZeroProd, 0), 0));
    return [mul(spread(g, inShape, axes), grad)];
  }, [x]);
});

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (default) is the unbiased estimate, 0 the population one. */
  correction?: number;
  /** Older spelling: unbiased=false is correction 0. */
  unbiased?: boolean;
}

export const variance = traceable("variance", function variance(x: Tensor, dim?: Dims | (ReduceOptions & VarOptions), keepdim = false, opts: VarOptions = {}): Tensor {
  return varianceOf("var", x, dim, keepdim, opts);
});

export const std = traceable("std", function std(x: Tensor, dim?: Dims | (ReduceOptions & VarOptions), keepdim = false, opts: VarOptions = {}): Tensor {
  const v = varianceOf("std", x, dim, keepdim, opts);
  const y = noGrad(() => sqrt(v));
  // d std = g / (2·std), taken as 0 where std = 0 (a constant slice), as torch does, rather
  // than sqrt's g/0 = inf, which var's zero gradient there would turn into NaN.
  return record("StdBackward", [v], y, (g, [sy]) => [where(eq(sy, 0), 0, div(g, mul(sy, 2)))], [y]);
});

/** var, with errors named after the op the user called. */
function varianceOf(op: "var" | "std", x: Tensor, dimOrOptions: Dims | (ReduceOptions & VarOptions), keepdimArg: boolean, optsArg: VarOptions): Tensor {
  assertTensor(op, x);
  const [dim, keepdim] = dimArgs(op, dimOrOptions, keepdimArg, ["correction", "unbiased"]);
  const opts: VarOptions = isOptions(dimOrOptions) ? { ...optsArg, ...(dimOrOptions as VarOptions) } : optsArg;
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: input must be a floating-point tensor, got ${x.dtype}`);
  const axes = normalizeDims(op, dim, x.ndim);
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const n = numelOf(axes.map((a) => x.shape[a]));
  const centered = sub(x, mean(x, axes, true));
  return div(sum(square(centered), axes, keepdim), Math.max(0, n - correction));
}

/** log Σ exp(x) over dims, computed stably. */
export const logsumexp = traceable("logsumexp", function logsumexp(x: Tensor, dimOrOptions: Dims | ReduceOptions, keepdimArg = false): Tensor {
  assertTensor("logsumexp", x);
  const [dim, keepdim] = dimArgs("logsumexp", dimOrOptions, keepdimArg);
  const axes = normalizeDims("logsumexp", dim, x.ndim);
  // No elements, no overflow to guard against (and no max to shift by): log(0) = -inf, as torch.
  if (x.numel() === 0) return log(sum(exp(x), axes, keepdim));
  const m = max(x, axes, true).detach();
  const safeM = where(eq(m, Infinity), 0, where(eq(m, -Infinity), 0, m));
  const r = add(log(sum(exp(sub(x, safeM)), axes, true)), safeM);
  return keepdim ? r : reshape(r, finalShape(x.shape, axes, false));
});

function argExtremum(op: ArgReduceOp, x: Tensor, dimOrOptions: number | undefined | ArgReduceOptions, keepdimArg: boolean): Tensor {
  assertTensor(op, x);
  const [dimArg, keepdim] = dimArgs(op, dimOrOptions, keepdimArg);
  if (Array.isArray(dimArg)) throw new TypeError(`${op}: dim must be one dimension (a number), got [${dimArg.join(", ")}]`);
  const dim = dimArg as number | undefined;
  if (dim === undefined) {
    const flat = flatten(x);
    const r = argExtremum(op, flat, 0, false);
    return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
  }
  const axis = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return scalar(0, "int32", x.backend);
  const kept = keptShape(x.shape, [axis]);
  const out = empty(kept, "int32", x.backend);
  x.backend.argReduce(op, x.raw(), axis, out.raw());
  return keepdim ? out : reshape(out, finalShape(x.shape, [axis], false));
}

export const argmax = traceable("argmax", (x: Tensor, dim?: number | ArgReduceOptions, keepdim = false): Tensor => argExtremum("argmax", x, dim, keepdim));
export const argmin = traceable("argmin", (x: Tensor, dim?: number | ArgReduceOptions, keepdim = false): Tensor => argExtremum("argmin", x, dim, keepdim));

/** Whether every / any element is non-zero (over dims, like torch.all/any). */
export const all = traceable("all", function all(x: Tensor, dim?: Dims | ReduceOptions, keepdim = false): Tensor {
  return logicalReduce("all", x, dim, keepdim);
});
export const any = traceable("any", function any(x: Tensor, dim?: Dims | ReduceOptions, keepdim = false): Tensor {
  return logicalReduce("any", x, dim, keepdim);
});
/** all is a product of 0/1 values and any a sum, so empty reductions give torch's true / false. */
function logicalReduce(op: "all" | "any", x: Tensor, dimOrOptions: Dims | ReduceOptions, keepdimArg: boolean): Tensor {
  assertTensor(op, x);
  const [dim, keepdim] = dimArgs(op, dimOrOptions, keepdimArg);
  const axes = normalizeDims(op, dim, x.ndim);
  const b = x.to("bool");
  const out = reduceForward(op === "all" ? "prod" : "sum", b, axes, keepdim, "bool");
  if (b !== x) b.dispose();
  return out;
}

declare module "../tensor/tensor.js" {
  interface Tensor {
    // Each takes (dim?, keepdim = false) as torch, or the options form ({ dim, keepdim }).
    sum(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    mean(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    max(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    min(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    prod(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    var(dim?: Dims | (ReduceOptions & VarOptions), keepdim?: boolean, opts?: VarOptions): Tensor;
    std(dim?: Dims | (ReduceOptions & VarOptions), keepdim?: boolean, opts?: VarOptions): Tensor;
    logsumexp(dim: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    argmax(dim?: number | ArgReduceOptions, keepdim?: boolean): Tensor;
    argmin(dim?: number | ArgReduceOptions, keepdim?: boolean): Tensor;
    all(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
    any(dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor;
  }
}

Tensor.prototype.sum = function (d, k) { return sum(this, d, k); };
Tensor.prototype.mean = function (d, k) { return mean(this, d, k); };
Tensor.prototype.max = function (d, k) { return max(this, d, k); };
Tensor.prototype.min = function (d, k) { return min(this, d, k); };
Tensor.prototype.prod = function (d, k) { return prod(this, d, k); };
Tensor.prototype.var = function (d, k, o) { return variance(this, d, k, o); };
Tensor.prototype.std = function (d, k, o) { return std(this, d, k, o); };
Tensor.prototype.logsumexp = function (d, k) { return logsumexp(this, d, k); };
Tensor.prototype.argmax = function (d, k) { return argmax(this, d, k); };
Tensor.prototype.argmin = function (d, k) { return argmin(this, d, k); };
Tensor.prototype.all = function (d, k) { return all(this, d, k); };
Tensor.prototype.any = function (d, k) { return any(this, d, k); };
