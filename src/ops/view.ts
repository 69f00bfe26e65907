// Shape ops. Those PyTorch implements as views (reshape of compatible strides, transpose,
// permute, squeeze, unsqueeze, expand, slice, narrow) share storage here too; the rest copy.

import type { DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousStrides, formatShape, normalizeDim, numelOf, shapesEqual } from "../core/shape.js";
import { getBackendByName } from "../backend/registry.js";
import { record } from "../autograd/node.js";
import { assertTensor, empty } from "./util.js";
import { cast } from "./elementwise.js";
import { traceable } from "../graph/recorder.js";

/** A tensor sharing t's storage with other geometry (no autograd). */
export function aliasWith(t: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  return new Tensor(t.storage.retain(), shape, strides, offset);
}

function inferShape(op: string, t: Tensor, shape: readonly number[]): number[] {
  const n = t.numel();
  let infer = -1;
  let known = 1;
  shape.forEach((s, i) => {
    if (s === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${formatShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(s) || s < 0) {
      throw new RangeError(`${op}: invalid size ${s} in shape ${formatShape(shape)}`);
    } else known *= s;
  });
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new RangeError(`${op}: shape ${formatShape(shape)} is invalid for input of size ${n} (shape ${formatShape(t.shape)})`);
    }
    out[infer] = n / known;
  }
  if (numelOf(out) !== n) {
    throw new RangeError(`${op}: shape ${formatShape(shape)} is invalid for input of size ${n} (shape ${formatShape(t.shape)})`);
  }
  return out;
}

/**
 * Strides that let a tensor of (shape, strides) be viewed as newShape without copying, or null
 * when the memory layout does not allow it (PyTorch's computeStride).
 */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numelOf(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorElems = 1;
  let viewElems = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorElems *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorElems * chunkBase)) {
      while (viewD >= 0 && (viewElems < tensorElems || newShape[viewD] === 1)) {
        out[viewD] = viewElems * chunkBase;
        viewElems *= newShape[viewD];
        viewD--;
      }
      if (viewElems !== tensorElems) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorElems = 1;
        viewElems = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

function shapeArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

function reshapeImpl(op: string, t: Tensor, shape: readonly number[], mustView: boolean): Tensor {
  assertTensor(op, t);
  const newShape = inferShape(op, t, shape);
  const strides = viewStrides(t.shape, t.strides, newShape);
  let out: Tensor;
  if (strides) out = aliasWith(t, newShape, strides, t.offset);
  else if (mustView) {
    throw new Error(`${op}: the tensor of shape ${formatShape(t.shape)} with strides ${formatShape(t.strides)} is not laid out compatibly with ${formatShape(newShape)}; use reshape() (which copies) or call contiguous() first`);
  } else {
    const c = contiguousCopy(t);
    out = aliasWith(c, newShape, contiguousStrides(newShape), 0);
    c.dispose();
  }
  const inShape = [...t.shape];
  return record(mustView ? "ViewBackward" : "ReshapeBackward", [t], out, (g) => [reshape(g, inShape)]);
}

export const reshape = traceable("reshape", function reshape(t: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  return reshapeImpl("reshape", t, shapeArgs(shape), false);
});

export const view = traceable("view", function view(t: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  return reshapeImpl("view", t, shapeArgs(shape), true);
});

function contiguousCopy(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, t.backend);
  t.backend.copy(t.raw(), out.raw());
  return out;
}

/** t itself when already contiguous, else a row-major copy. */
export const contiguous = traceable("contiguous", function contiguous(t: Tensor): Tensor {
  assertTensor("contiguous", t);
  if (t.isContiguous()) return t;
  return record("CloneBackward", [t], contiguousCopy(t), (g) => [g]);
});

/** A copy with its own storage. */
export const clone = traceable("clone", function clone(t: Tensor): Tensor {
  assertTensor("clone", t);
  return record("CloneBackward", [t], contiguousCopy(t), (g) => [g]);
});

export const flatten = traceable("flatten", function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor("flatten", t);
  if (t.ndim === 0) {
    // A 0-d tensor has one (virtual) dim: 0 or -1 name it, anything else is out of range.
    normalizeDim("flatten", startDim, 0);
    normalizeDim("flatten", endDim, 0);
    return reshape(t, [1]);
  }
  const s = normalizeDim("flatten", startDim, t.ndim);
  const e = normalizeDim("flatten", endDim, t.ndim);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...t.shape.slice(0, s), numelOf(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape);
});

/** Split one dimension into several (the inverse of flatten). */
export const unflatten = traceable("unflatten", function unflatten(t: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim("unflatten", dim, t.ndim);
  return reshape(t, [...t.shape.slice(0, d), ...sizes, ...t.shape.slice(d + 1)]);
});

export const permute = traceable("permute", function permute(t: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  assertTensor("permute", t);
  const order = shapeArgs(dims).map((d) => normalizeDim("permute", d, t.ndim));
  if (order.length !== t.ndim || new Set(order).size !== t.ndim) {
    throw new RangeError(`permute: dims ${JSON.stringify(shapeArgs(dims))} must be a permutation of the ${t.ndim} dimensions of a tensor of shape ${formatShape(t.shape)}`);
  }
  const out = aliasWith(t, order.map((d) => t.shape[d]), order.map((d) => t.strides[d]), t.offset);
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return record("PermuteBackward", [t], out, (g) => [permute(g, inverse)]);
});

export const transpose = traceable("transpose", function transpose(t: Tensor, dim0 = -2, dim1 = -1): Tensor {
  assertTensor("transpose", t);
  if (t.ndim < 2 && dim0 === -2 && dim1 === -1) return t;
  if (t.ndim === 0) {
    // Swapping the one virtual dim of a 0-d tensor with itself (dims 0 / -1), as torch allows.
    normalizeDim("transpose", dim0, 0);
    normalizeDim("transpose", dim1, 0);
    return permute(t, []);
  }
  const a = normalizeDim("transpose", dim0, t.ndim), b = normalizeDim("transpose", dim1, t.ndim);
  const order = Array.from({ length: t.ndim }, (_, i) => i);
  [order[a], order[b]] = [order[b], order[a]];
  return permute(t, order);
});

/** Remove size-1 dimensions (all of them, or the ones named). */
export const squeeze = traceable("squeeze", function squeeze(t: Tensor, dim?: number | readonly number[]): Tensor {
  assertTensor("squeeze", t);
  const dims = dim === undefined ? null : (typeof dim === "number" ? [dim] : [...dim]).map((d) => normalizeDim("squeeze", d, t.ndim));
  const keep = t.shape.map((s, i) => !(s === 1 && (dims === null || dims.includes(i))));
  const out = aliasWith(t, t.shape.filter((_, i) => keep[i]), t.strides.filter((_, i) => keep[i]), t.offset);
  const inShape = [...t.shape];
  return record("SqueezeBackward", [t], out, (g) => [reshape(g, inShape)]);
});

export const unsqueeze = traceable("unsqueeze", function unsqueeze(t: Tensor, dim: number): Tensor {
  assertTensor("unsqueeze", t);
  const d = normalizeDim("unsqueeze", dim, t.ndim + 1);
  const shape = [...t.shape], strides = [...t.strides];
  const stride = d < t.ndim ? t.strides[d] * t.shape[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  const out = aliasWith(t, shape, strides, t.offset);
  const inShape = [...t.shape];
  return record("UnsqueezeBackward", [t], out, (g) => [reshape(g, inShape)]);
});

/** Broadcast to a larger shape without copying (-1 keeps a dimension's size). */
export const expand = traceable("expand", function expand(t: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  assertTensor("expand", t);
  const shape = shapeArgs(sizes);
  if (shape.length < t.ndim) {
    throw new RangeError(`expand: the target shape ${formatShape(shape)} has fewer dimensions than the tensor's ${formatShape(t.shape)}`);
  }
  const lead = shape.length - t.ndim;
  const strides: number[] = [];
  const outShape: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isInteger(shape[i]) || shape[i] < -1) {
      throw new RangeError(`expand: invalid size ${shape[i]} at dimension ${i} of ${formatShape(shape)}; sizes must be non-negative integers (or -1 to keep a size)`);
    }
    const src = i < lead ? 1 : t.shape[i - lead];
    let s = shape[i] === -1 ? src : shape[i];
    if (i < lead && shape[i] === -1) throw new RangeError(`expand: -1 is not allowed for a new leading dimension (${formatShape(shape)})`);
    if (src !== s && src !== 1) {
      throw new RangeError(`expand: the size of dimension ${i} must match the existing size ${src} or that size must be 1; cannot expand ${formatShape(t.shape)} to ${formatShape(shape)}`);
    }
    outShape.push(s);
    strides.push(i < lead || (src === 1 && s !== 1) ? 0 : t.strides[i - lead]);
  }
  const out = aliasWith(t, outShape, strides, t.offset);
  // The engine sums the gradient back down to the input's shape.
  return record("ExpandBackward", [t], out, (g) => [g]);
});

export const expandAs = traceable("expandAs", function expandAs(t: Tensor, other: Tensor): Tensor {
  return expand(t, other.shape);
});

/** Elements start, start+step, … < end along dim (negative indices count from the end). */
export const slice = traceable("slice", function slice(t: Tensor, dim: number, start = 0, end: number = Infinity, step = 1): Tensor {
  assertTensor("slice", t);
  if (t.ndim === 0) throw new RangeError("slice: cannot slice a 0-d tensor (it has no dimensions)");
  const d = normalizeDim("slice", dim, t.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  if (!Number.isInteger(start) || !(Number.isInteger(end) || end === Infinity)) {
    throw new RangeError(`slice: start and end must be integers, got start ${start} and end ${end}`);
  }
  const n = t.shape[d];
  const clampIndex = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end === Infinity ? n : end));
  const len = Math.ceil((e - s) / step);
  const shape = [...t.shape];
  const strides = [...t.strides];
  shape[d] = len;
  strides[d] = t.strides[d] * step;
  const out = aliasWith(t, shape, strides, t.offset + s * t.strides[d]);
  const inShape = [...t.shape];
  return record("SliceBackward", [t], out, (g) => [sliceBackward(g, inShape, d, s, step)]);
});

/** Scatter g into zeros of the input's shape at the sliced positions. */
function sliceBackward(g: Tensor, inShape: number[], dim: number, start: number, step: number): Tensor {
  const gx = empty(inShape, g.dtype, g.backend);
  g.backend.fill(gx.raw(), 0);
  const strides = contiguousStrides(inShape);
  const target = { ...gx.raw(), shape: g.shape, strides: strides.map((s, i) => (i === dim ? s * step : s)), offset: start * strides[dim] };
  g.backend.copy(g.raw(), target);
  return gx;
}

/** length elements of dim starting at start (a view), as torch.narrow. */
export const narrow = traceable("narrow", function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  assertTensor("narrow", t);
  if (t.ndim === 0) throw new RangeError("narrow: cannot narrow a 0-d tensor (it has no dimensions)");
  const d = normalizeDim("narrow", dim, t.ndim);
  const n = t.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || length < 0 || s < 0 || s + length > n) {
    throw new RangeError(`narrow: start ${start} with length ${length} is out of range for dimension ${dim} of size ${n}`);
  }
  return slice(t, d, s, s + length);
});

/** Matrix transpose of a 2-d (or lower) tensor. */
export const t2 = traceable("t2", function t2(t: Tensor): Tensor {
  if (t.ndim > 2) throw new RangeError(`t: expects a tensor with at most 2 dimensions, got shape ${formatShape(t.shape)}; use transpose(dim0, dim1)`);
  return t.ndim < 2 ? t : transpose(t, 0, 1);
});

const DTYPE_NAMES = new Set(["float32", "float64", "int32", "bool"]);

/** Move to a device ("cpu", "native", "cuda") or convert to a dtype; returns t when nothing changes. */
export const to = traceable("to", function to(t: Tensor, target: string): Tensor {
  assertTensor("to", t);
  if (DTYPE_NAMES.has(target)) return cast(t, target as DType);
  const backend = getBackendByName(target, "to");
  if (backend === t.backend) return t;
  const src = contiguous(t);
  const data = src.backend.readSync(src.storage.buf, src.dtype, src.offset, src.numel());
  const out = empty(t.shape, t.dtype, backend);
  const up = backend.fromHost(data);
  backend.copy({ buf: up, dtype: t.dtype, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 }, out.raw());
  backend.free(up);
  if (src !== t) src.dispose();
  const fromName = t.device;
  return record("ToDeviceBackward", [t], out, (g) => [to(g, fromName)]);
});

/** t viewed with other's shape (torch.Tensor.view_as): shares t's storage. */
export const viewAs = traceable("viewAs", function viewAs(t: Tensor, other: Tensor): Tensor {
  assertTensor("viewAs", t);
  if (!(other instanceof Tensor)) throw new TypeError("viewAs: other must be a Tensor (its shape is used)");
  return view(t, other.shape);
});

/** t reshaped to other's shape (torch.Tensor.reshape_as): a view when possible, else a copy. */
export const reshapeAs = traceable("reshapeAs", function reshapeAs(t: Tensor, other: Tensor): Tensor {
  assertTensor("reshapeAs", t);
  if (!(other instanceof Tensor)) throw new TypeError("reshapeAs: other must be a Tensor (its shape is used)");
  return reshape(t, other.shape);
});

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** torch's .float(): a float32 copy (t itself when it is float32 already). */
    float(): Tensor;
    /** torch's .double(): float64. */
    double(): Tensor;
    /** torch's .int(): int32. */
    int(): Tensor;
    /** torch's .long(): int32 as well — nabla's integer dtype is int32 (there is no int64). */
    long(): Tensor;
    /** torch's .bool(). */
    bool(): Tensor;
    /** torch's .tolist(): nested arrays, the same as toArray() (a number for a 0-d tensor). */
    tolist(): unknown;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    reshape(...shape: (number | readonly number[])[]): Tensor;
    view(...shape: (number | readonly number[])[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    permute(...dims: (number | readonly number[])[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    t(): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(...sizes: (number | readonly number[])[]): Tensor;
    expandAs(other: Tensor): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    to(target: string): Tensor;
  }
}

Tensor.prototype.view = function (...shape) { return view(this, ...shape); };
Tensor.prototype.reshape = function (...shape) { return reshape(this, ...shape); };
Tensor.prototype.flatten = function (s, e) { return flatten(this, s, e); };
Tensor.prototype.unflatten = function (d, sizes) { return unflatten(this, d, sizes); };
Tensor.prototype.permute = function (...dims) { return permute(this, ...dims); };
Tensor.prototype.transpose = function (a, b) { return transpose(this, a, b); };
Tensor.prototype.t = function () { return t2(this); };
Tensor.prototype.squeeze = function (d) { return squeeze(this, d); };
Tensor.prototype.unsqueeze = function (d) { return unsqueeze(this, d); };
Tensor.prototype.expand = function (...s) { return expand(this, ...s); };
Tensor.prototype.expandAs = function (o) { return expandAs(this, o); };
Tensor.prototype.contiguous = function () { return contiguous(this); };
Tensor.prototype.clone = function () { return clone(this); };
Tensor.prototype.slice = function (d, s, e, st) { return slice(this, d, s, e, st); };
Tensor.prototype.narrow = function (d, s, l) { return narrow(this, d, s, l); };
Tensor.prototype.to = function (target) { return to(this, target); };
Tensor.prototype.float = function () { return to(this, "float32"); };
Tensor.prototype.double = function () { return to(this, "float64"); };
Tensor.prototype.int = function () { return to(this, "int32"); };
Tensor.prototype.long = function () { return to(this, "int32"); };
Tensor.prototype.bool = function () { return to(this, "bool"); };
Tensor.prototype.tolist = function () { return this.toArray(); };
Tensor.prototype.viewAs = function (o) { return viewAs(this, o); };
Tensor.prototype.reshapeAs = function (o) { return reshapeAs(this, o); };
