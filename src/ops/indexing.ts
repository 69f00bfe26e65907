// Indexing, joining and padding ops with their gradients, following torch: indexSelect/indexAdd,
// gather/scatter/scatterAdd, cat/stack/split/chunk/unbind, pad, maskedFill/maskedSelect, oneHot,
// flip/roll/repeat/tile. Index tensors are int32. Index values are checked here (one min/max
// reduction read back) so a bad index is a clear error naming the op, value, dim and size.

import type { Backend, View } from "../backend/backend.js";
import { promoteTypes, type DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousStrides, formatShape, normalizeDim, numelOf, shapesEqual, broadcastShapes } from "../core/shape.js";
import { tensor } from "../tensor/creation.js";
import { record } from "../autograd/node.js";
import { assertTensor, commonBackend, empty } from "./util.js";
import { cast, where } from "./elementwise.js";
import { clone, expand, narrow, reshape, squeeze, unsqueeze } from "./view.js";
import { hostCheck } from "../graph/host-check.js";
import { traceable } from "../graph/recorder.js";

// ---------------------------------------------------------------------------------------------
// shared checks and raw helpers

function assertIndex(op: string, index: unknown, name = "index"): Tensor {
  const t = assertTensor(op, index, name);
  if (t.dtype !== "int32") throw new TypeError(`${op}: ${name} must be an int32 tensor, got ${t.dtype}`);
  return t;
}

/** Smallest and largest value of an int32 tensor, or null when it is empty or cannot be read synchronously. */
export function indexExtremes(index: Tensor): [number, number] | null {
  const b = index.backend;
  if (index.numel() === 0 || !b.syncReadable) return null;
  const axes = index.shape.map((_, i) => i);
  const out = empty(index.shape.map(() => 1), "int32", b);
  try {
    b.reduce("min", index.raw(), axes, out.raw());
    const lo = b.readSync(out.storage.buf, "int32", out.offset, 1)[0];
    b.reduce("max", index.raw(), axes, out.raw());
    const hi = b.readSync(out.storage.buf, "int32", out.offset, 1)[0];
    return [lo, hi];
  } finally {
    out.dispose();
  }
}

function checkIndexRange(op: string, index: Tensor, size: number, dim: number): void {
  const ex = hostCheck(() => indexExtremes(index));
  if (!ex) return;
  const bad = ex[0] < 0 ? ex[0] : ex[1] >= size ? ex[1] : null;
  if (bad !== null) throw new RangeError(`${op}: index ${bad} is out of range for dimension ${dim} of size ${size}`);
}

/** t's kernel view, seen with `shape` (used to see a 0-d tensor as [1]: strides of size-1 dims never matter). */
function viewAs(t: Tensor, shape: readonly number[]): View {
  const v = t.raw();
  if (v.shape.length === shape.length) return v;
  return { ...v, shape, strides: shape.map(() => 0) };
}

function zerosOf(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
  const t = empty(shape, dtype, backend);
  backend.fill(t.raw(), 0);
  return t;
}

/** A JavaScript number as the given dtype stores it (torch casts fill values this way). */
function castScalar(value: number, dtype: DType): number {
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  if (dtype === "int32") return Math.trunc(value) | 0;
  return value;
}

function assertDimNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(v)}`);
  return v;
}

/** Shape with one size replaced. */
function withSize(shape: readonly number[], dim: number, size: number): number[] {
  const s = [...shape];
  s[dim] = size;
  return s;
}

/** A 0-d tensor is indexed as if it had shape [1], as torch does. */
const asVector = (shape: readonly number[]): number[] => (shape.length === 0 ? [1] : [...shape]);

// ---------------------------------------------------------------------------------------------
// indexSelect / indexAdd

/** Slices index[0], index[1], … of x along dim (torch.index_select). */
export const indexSelect = traceable("indexSelect", function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = "indexSelect";
  assertTensor(op, x);
  assertIndex(op, index);
  const backend = commonBackend(op, x, index);
  if (index.ndim > 1) throw new RangeError(`${op}: index must be a 0-d or 1-d tensor, got shape ${formatShape(index.shape)}`);
  const d = normalizeDim(op, dim, x.ndim);
  const xShape = asVector(x.shape);
  checkIndexRange(op, index, xShape[d], d);
  const n = index.numel();
  if (x.ndim === 0 && n !== 1) throw new RangeError(`${op}: a 0-d input takes an index with exactly one element, got ${n}`);
  const kernelOut = withSize(xShape, d, n);
  const out = empty(x.ndim === 0 ? [] : kernelOut, x.dtype, backend);
  backend.indexSelect(viewAs(x, xShape), d, viewAs(index, [n]), viewAs(out, kernelOut));
  const inShape = [...x.shape];
  return record("IndexSelectBackward", [x], out, (g, [idx]) => {
    const gx = zerosOf(inShape, g.dtype, g.backend);
    g.backend.indexAdd(viewAs(gx, xShape), d, viewAs(idx, [n]), viewAs(g, kernelOut));
    return [gx];
  }, [index]);
});

/** x with source's slices added at the positions index names along dim (torch.index_add, out of place). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  const op = "indexAdd";
  assertTensor(op, x);
  assertIndex(op, index);
  assertTensor(op, source, "source");
  const backend = commonBackend(op, x, index, source);
  if (index.ndim > 1) throw new RangeError(`${op}: index must be a 0-d or 1-d tensor, got shape ${formatShape(index.shape)}`);
  if (source.dtype !== x.dtype) throw new TypeError(`${op}: source must have the input's dtype ${x.dtype}, got ${source.dtype}`);
  const d = normalizeDim(op, dim, x.ndim);
  const xShape = asVector(x.shape);
  const n = index.numel();
  const srcShape = withSize(xShape, d, n);
  const sourceFits = source.ndim === 0 ? shapesEqual(srcShape, [1]) : shapesEqual(source.shape, srcShape);
  if (!sourceFits) {
    throw new RangeError(`${op}: source of shape ${formatShape(source.shape)} must have shape ${formatShape(srcShape)} (the input ${formatShape(x.shape)} with dimension ${d} of the index's length ${n})`);
  }
  checkIndexRange(op, index, xShape[d], d);
  if (opts.alpha !== undefined && opts.alpha !== 1) return indexAdd(x, dim, index, source.mul(opts.alpha));
  const out = empty(x.shape, x.dtype, backend);
  backend.copy(x.raw(), out.raw());
  backend.indexAdd(viewAs(out, xShape), d, viewAs(index, [n]), viewAs(source, srcShape));
  const sourceShape = [...source.shape];
  return record("IndexAddBackward", [x, source], out, (g, [idx], needs) => {
    if (!needs[1]) return [g, null];
    const gs = empty(sourceShape, g.dtype, g.backend);
    g.backend.indexSelect(viewAs(g, xShape), d, viewAs(idx, [n]), viewAs(gs, srcShape));
    return [needs[0] ? g : null, gs];
  }, [index]);
}

// ---------------------------------------------------------------------------------------------
// gather / scatterAdd / scatter

interface ElementGeometry {
  dim: number;
  /** The input's and the index's shapes as the kernels see them (0-d as [1]). */
  xShape: number[];
  iShape: number[];
}

/**
 * Torch's shape rules for gather/scatter: index has the input's rank and is no larger than it on
 * every dim but dim (and, for scatter, no larger than src on every dim).
 */
function elementGeometry(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor | null): ElementGeometry {
  const d = normalizeDim(op, dim, x.ndim);
  const sameRank = (t: Tensor): boolean => t.ndim === x.ndim || (x.ndim <= 1 && t.ndim <= 1);
  if (!sameRank(index)) {
    throw new RangeError(`${op}: index must have as many dimensions as the input; got index of shape ${formatShape(index.shape)} for an input of shape ${formatShape(x.shape)}`);
  }
  if (src && !sameRank(src)) {
    throw new RangeError(`${op}: src must have as many dimensions as the input; got src of shape ${formatShape(src.shape)} for an input of shape ${formatShape(x.shape)}`);
  }
  const xShape = asVector(x.shape), iShape = asVector(index.shape);
  const sShape = src ? asVector(src.shape) : null;
  for (let k = 0; k < xShape.length; k++) {
    if ((k !== d && iShape[k] > xShape[k]) || (sShape && iShape[k] > sShape[k])) {
      const srcPart = src ? ` and no larger than src ${formatShape(src.shape)} in every dimension` : "";
      throw new RangeError(
        `${op}: index of shape ${formatShape(index.shape)} must be no larger than the input ${formatShape(x.shape)} except in dimension ${d}${srcPart} (dimension ${k} does not fit)`,
      );
    }
  }
  return { dim: d, xShape, iShape };
}

/** Values of x at the positions index names along dim (torch.gather). */
export const gather = traceable("gather", function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = "gather";
  assertTensor(op, x);
  assertIndex(op, index);
  const backend = commonBackend(op, x, index);
  const geo = elementGeometry(op, x, dim, index, null);
  checkIndexRange(op, index, geo.xShape[geo.dim], geo.dim);
  const out = empty(index.shape, x.dtype, backend);
  backend.gather(viewAs(x, geo.xShape), geo.dim, viewAs(index, geo.iShape), viewAs(out, geo.iShape));
  const inShape = [...x.shape];
  return record("GatherBackward", [x], out, (g, [idx]) => {
    const gx = zerosOf(inShape, g.dtype, g.backend);
    g.backend.scatterAdd(viewAs(gx, geo.xShape), geo.dim, viewAs(idx, geo.iShape), viewAs(g, geo.iShape));
    return [gx];
  }, [index]);
});

/** gather(g) where index covers only the leading part of src: the rest of src gets zero. */
function gatherToShape(g: Tensor, geo: ElementGeometry, idx: Tensor, srcShape: readonly number[]): Tensor {
  const gs = zerosOf(srcShape, g.dtype, g.backend);
  const region = { ...gs.raw(), shape: geo.iShape, strides: contiguousStrides(asVector(srcShape)) };
  g.backend.gather(viewAs(g, geo.xShape), geo.dim, viewAs(idx, geo.iShape), region);
  return gs;
}

function checkScatterOperands(op: string, x: Tensor, index: Tensor, src: Tensor): void {
  assertTensor(op, x);
  assertIndex(op, index);
  assertTensor(op, src, "src");
  if (src.dtype !== x.dtype) throw new TypeError(`${op}: src must have the input's dtype ${x.dtype}, got ${src.dtype}`);
}

/** x with src added at the positions index names along dim (torch.scatter_add, out of place). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = "scatterAdd";
  checkScatterOperands(op, x, index, src);
  const backend = commonBackend(op, x, index, src);
  const geo = elementGeometry(op, x, dim, index, src);
  checkIndexRange(op, index, geo.xShape[geo.dim], geo.dim);
  const out = empty(x.shape, x.dtype, backend);
  backend.copy(x.raw(), out.raw());
  backend.scatterAdd(viewAs(out, geo.xShape), geo.dim, viewAs(index, geo.iShape), { ...viewAs(src, asVector(src.shape)), shape: geo.iShape });
  const srcShape = [...src.shape];
  return record("ScatterAddBackward", [x, src], out, (g, [idx], needs) => [
    needs[0] ? g : null,
    needs[1] ? gatherToShape(g, geo, idx, srcShape) : null,
  ], [index]);
}

/**
 * For an index with repeated targets, which positions write last in row-major order (torch's cpu
 * scatter keeps the last write); null when every target is distinct or the index cannot be read.
 */
function lastWriters(index: Tensor, geo: ElementGeometry): Uint8Array | null {
  if (!index.backend.syncReadable || index.numel() < 2) return null;
  const values = index.dataSync();
  const xStrides = contiguousStrides(geo.xShape);
  const nd = geo.iShape.length;
  const pos = new Array<number>(nd).fill(0);
  const targets = new Float64Array(values.length);
  // The index values were range-checked already, so every target lies inside the input.
  const writer = new Int32Array(numelOf(geo.xShape)).fill(-1);
  let repeated = false;
  for (let p = 0; p < values.length; p++) {
    let t = 0;
    for (let k = 0; k < nd; k++) t += (k === geo.dim ? values[p] : pos[k]) * xStrides[k];
    targets[p] = t;
    if (writer[t] >= 0) repeated = true;
    writer[t] = p;
    for (let k = nd - 1; k >= 0; k--) {
      if (++pos[k] < geo.iShape[k]) break;
      pos[k] = 0;
    }
  }
  if (!repeated) return null;
  const wins = new Uint8Array(values.length);
  for (let p = 0; p < values.length; p++) wins[p] = writer[targets[p]] === p ? 1 : 0;
  return wins;
}

/**
 * x with the positions index names along dim replaced by src (a tensor or a number), out of place
 * (torch.scatter). Where an index repeats a target, the last write in row-major order wins.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  const op = "scatter";
  assertTensor(op, x);
  assertIndex(op, index);
  if (src instanceof Tensor) checkScatterOperands(op, x, index, src);
  const backend = commonBackend(op, x, index, src instanceof Tensor ? src : null);
  let srcT: Tensor;
  if (src instanceof Tensor) srcT = src;
  else {
    if (typeof src !== "number" && typeof src !== "boolean") throw new TypeError(`${op}: src must be a Tensor or a number, got ${src === null ? "null" : typeof src}`);
    srcT = empty(index.shape, x.dtype, backend);
    backend.fill(srcT.raw(), castScalar(Number(src), x.dtype));
  }
  const geo = elementGeometry(op, x, dim, index, srcT);
  checkIndexRange(op, index, geo.xShape[geo.dim], geo.dim);
  const iView = viewAs(index, geo.iShape);
  let srcRegion: View = { ...viewAs(srcT, asVector(srcT.shape)), shape: geo.iShape };
  const temps: Tensor[] = [];
  const wins = lastWriters(index, geo);
  if (wins) {
    // Keep only the last write to each target (a select, not a product, so NaNs elsewhere stay out).
    const keep = tensor(wins, { dtype: "bool", shape: geo.iShape, device: backend.name });
    const zero = zerosOf([], x.dtype, backend);
    const picked = empty(geo.iShape, x.dtype, backend);
    backend.where(keep.raw(), srcRegion, { ...zero.raw(), shape: geo.iShape, strides: geo.iShape.map(() => 0) }, picked.raw());
    srcRegion = picked.raw();
    temps.push(keep, zero, picked);
  }
  // Written values land in zeros; a hit mask says where they go.
  const written = zerosOf(geo.xShape, x.dtype, backend);
  backend.scatterAdd(written.raw(), geo.dim, iView, srcRegion);
  const hits = zerosOf(geo.xShape, "int32", backend);
  const one = empty([], "int32", backend);
  backend.fill(one.raw(), 1);
  const broadcastScalar = (t: Tensor, shape: number[]): View => ({ ...t.raw(), shape, strides: shape.map(() => 0) });
  backend.scatterAdd(hits.raw(), geo.dim, iView, broadcastScalar(one, geo.iShape));
  const hit = empty(x.shape, "bool", backend);
  backend.fill(one.raw(), 0);
  backend.binary("gt", viewAs(hits, asVector(x.shape)), broadcastScalar(one, asVector(x.shape)), viewAs(hit, asVector(x.shape)));
  const out = empty(x.shape, x.dtype, backend);
  backend.where(hit.raw(), { ...written.raw(), shape: x.shape, strides: x.ndim === 0 ? [] : written.strides }, x.raw(), out.raw());
  for (const t of [...temps, written, hits, one]) t.dispose();
  if (srcT !== src) srcT.dispose();
  const srcShape = [...srcT.shape];
  const srcInput = src instanceof Tensor ? src : null;
  const result = record("ScatterBackward", [x, srcInput], out, (g, [h, idx], needs) => [
    needs[0] ? where(h, 0, g) : null,
    // torch's rule: every src position the index names gets gather(g), repeated targets included.
    needs[1] ? gatherToShape(g, geo, idx, srcShape) : null,
  ], [hit, index]);
  hit.dispose();
  return result;
}

// ---------------------------------------------------------------------------------------------
// cat / stack / split / chunk / unbind

/** torch skips 1-d tensors of size 0 in cat (a legacy way to start an accumulation). */
const isLegacyEmpty = (t: Tensor): boolean => t.ndim === 1 && t.shape[0] === 0;

function assertTensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected an array of tensors, got ${tensors === null ? "null" : typeof tensors}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty array of tensors`);
  return tensors.map((t, i) => assertTensor(op, t, `tensors[${i}]`));
}

/** Join tensors along an existing dim; dtypes promote as in torch.cat. */
export const cat = traceable("cat", function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const op = "cat";
  const ts = assertTensorList(op, tensors);
  const backend = commonBackend(op, ...ts);
  const dtype = ts.map((t) => t.dtype).reduce(promoteTypes);
  ts.forEach((t, i) => {
    if (t.ndim === 0) throw new RangeError(`${op}: tensors[${i}] is 0-d and cannot be concatenated; unsqueeze it or use stack`);
  });
  const used = ts.map((_, i) => i).filter((i) => !isLegacyEmpty(ts[i]));
  if (used.length === 0) return record("CatBackward", ts, empty([0], dtype, backend), (g) => ts.map(() => g));
  const first = ts[used[0]];
  const d = normalizeDim(op, dim, first.ndim);
  let total = 0;
  for (const i of used) {
    const t = ts[i];
    const fits = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!fits) {
      throw new RangeError(
        `${op}: tensors must have the same shape except in dimension ${d}, but tensors[${used[0]}] has shape ${formatShape(first.shape)} and tensors[${i}] has shape ${formatShape(t.shape)}`,
      );
    }
    total += t.shape[d];
  }
  const out = empty(withSize(first.shape, d, total), dtype, backend);
  const starts = new Array<number>(ts.length).fill(0);
  let at = 0;
  for (const i of used) {
    const t = ts[i];
    starts[i] = at;
    // copy is also the cast kernel, so promotion costs nothing extra.
    if (t.numel() > 0) backend.copy(t.raw(), { ...out.raw(), shape: t.shape, offset: out.offset + at * out.strides[d] });
    at += t.shape[d];
  }
  const sizes = ts.map((t) => (isLegacyEmpty(t) ? -1 : t.shape[d]));
  return record("CatBackward", ts, out, (g, _s, needs) =>
    sizes.map((size, i) => {
      if (!needs[i]) return null;
      if (size < 0) return zerosOf([0], g.dtype, g.backend);
      return narrow(g, d, starts[i], size);
    }));
});

/** Join equally shaped tensors along a new dim. */
export const stack = traceable("stack", function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const op = "stack";
  const ts = assertTensorList(op, tensors);
  ts.forEach((t, i) => {
    if (!shapesEqual(t.shape, ts[0].shape)) {
      throw new RangeError(`${op}: expects each tensor to be equal size, but got ${formatShape(ts[0].shape)} at entry 0 and ${formatShape(t.shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim(op, dim, ts[0].ndim + 1);
  const lifted = ts.map((t) => unsqueeze(t, d));
  const out = cat(lifted, d);
  for (const t of lifted) t.dispose();
  return out;
});

function splitDim(op: string, x: Tensor, dim: number): number {
  assertTensor(op, x);
  if (x.ndim === 0) throw new RangeError(`${op}: cannot split a 0-d tensor`);
  return normalizeDim(op, dim, x.ndim);
}

/**
 * Views of x along dim: pieces of splitSize elements (the last may be smaller), or pieces of the
 * listed sizes, which must add up to the dim's size (torch.split).
 */
export const split = traceable("split", function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const op = "split";
  const d = splitDim(op, x, dim);
  const size = x.shape[d];
  if (Array.isArray(splitSizeOrSections)) {
    const sizes = splitSizeOrSections as readonly number[];
    sizes.forEach((s) => {
      if (typeof s !== "number" || !Number.isInteger(s) || s < 0) throw new TypeError(`${op}: split sizes must be non-negative integers, got ${JSON.stringify(sizes)}`);
    });
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== size) {
      throw new RangeError(`${op}: split sizes ${JSON.stringify(sizes)} must add up to the size ${size} of dimension ${d}, but they add up to ${sum}`);
    }
    let at = 0;
    return sizes.map((s) => {
      const piece = narrow(x, d, at, s);
      at += s;
      return piece;
    });
  }
  const s = splitSizeOrSections as number;
  if (typeof s !== "number" || !Number.isInteger(s) || s < 0) throw new TypeError(`${op}: split size must be a non-negative integer, got ${String(s)}`);
  if (s === 0 && size > 0) throw new RangeError(`${op}: split size can be 0 only when dimension ${d} has size 0, but it has size ${size}`);
  const count = s === 0 ? 1 : Math.max(1, Math.ceil(size / s));
  return Array.from({ length: count }, (_, i) => narrow(x, d, i * s, Math.min(s, size - i * s)));
});

/** At most `chunks` views of x along dim, of ceil(size / chunks) elements each (torch.chunk). */
export const chunk = traceable("chunk", function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const op = "chunk";
  const d = splitDim(op, x, dim);
  if (typeof chunks !== "number" || !Number.isInteger(chunks)) throw new TypeError(`${op}: chunks must be an integer, got ${String(chunks)}`);
  if (chunks <= 0) throw new RangeError(`${op}: chunks must be greater than 0, got ${chunks}`);
  const size = x.shape[d];
  if (size === 0) return Array.from({ length: chunks }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(size / chunks), d);
});

/** The slices of x along dim, each without that dim (torch.unbind). */
export const unbind = traceable("unbind", function unbind(x: Tensor, dim = 0): Tensor[] {
  const op = "unbind";
  const d = splitDim(op, x, dim);
  return Array.from({ length: x.shape[d] }, (_, i) => {
    const piece = narrow(x, d, i, 1);
    const out = squeeze(piece, d);
    piece.dispose();
    return out;
  });
});

// ---------------------------------------------------------------------------------------------
// pad

/**
 * One step of a chain of index selections starting at x: select along dim with host-computed
 * positions, then free the previous step's tensor (the graph keeps only its index).
 */
function selectAndRelease(x: Tensor, y: Tensor, dim: number, positions: Int32Array): Tensor {
  const idx = tensor(positions, { dtype: "int32", device: x.device });
  const next = indexSelect(y, dim, idx);
  idx.dispose();
  if (y !== x) y.dispose();
  return next;
}

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

export interface PadOptions {
  mode?: PadMode;
  /** Fill value of constant padding (default 0). */
  value?: number;
}

const PAD_MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * Pad (or, with negative amounts, crop) the last dims of x. pads lists [before, after] pairs from
 * the last dim backwards, as torch.nn.functional.pad: [left, right, top, bottom, front, back].
 */
export const pad = traceable("pad", function pad(x: Tensor, pads: readonly number[], opts: PadOptions = {}): Tensor {
  const op = "pad";
  assertTensor(op, x);
  const mode = opts.mode ?? "constant";
  if (!PAD_MODES.includes(mode)) throw new RangeError(`${op}: mode must be one of ${PAD_MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(mode)}`);
  if (mode !== "constant" && opts.value !== undefined) throw new TypeError(`${op}: value applies only to constant padding, not "${mode}"`);
  if (!Array.isArray(pads) || pads.some((p) => typeof p !== "number" || !Number.isInteger(p))) {
    throw new TypeError(`${op}: pads must be an array of integers, got ${JSON.stringify(pads)}`);
  }
  if (pads.length % 2 !== 0) throw new RangeError(`${op}: pads must come in [before, after] pairs, got ${pads.length} values`);
  if (pads.length / 2 > x.ndim) {
    throw new RangeError(`${op}: ${pads.length} pad values pad ${pads.length / 2} dimensions, but the input of shape ${formatShape(x.shape)} has ${x.ndim}`);
  }
  // before/after per dim of x, in dim order.
  const before = new Array<number>(x.ndim).fill(0), after = new Array<number>(x.ndim).fill(0);
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k;
    before[d] = pads[2 * k];
    after[d] = pads[2 * k + 1];
    const outSize = x.shape[d] + before[d] + after[d];
    if (outSize < 0) {
      throw new RangeError(`${op}: padding (${before[d]}, ${after[d]}) of dimension ${d - x.ndim} (size ${x.shape[d]}) gives a negative output size ${outSize}`);
    }
  }
  if (mode === "constant") return padConstant(x, before, after, opts.value ?? 0);
  let y = x;
  for (let d = x.ndim - 1; d >= 0; d--) {
    if (before[d] === 0 && after[d] === 0) continue;
    const source = padSourceIndex(mode, x.shape[d], before[d], after[d], d - x.ndim);
    y = selectAndRelease(x, y, d, source);
  }
  return y === x ? clone(x) : y;
});

/** For every output position along one dim, the input position reflect/replicate/circular padding reads. */
function padSourceIndex(mode: PadMode, size: number, before: number, after: number, dimLabel: number): Int32Array {
  const n = size + before + after;
  const source = new Int32Array(n);
  if (n === 0) return source;
  for (const p of [before, after]) {
    if (mode === "reflect" && p >= size) {
      throw new RangeError(`pad: reflect padding ${p} must be less than the input size ${size} of dimension ${dimLabel}`);
    }
    if (mode === "circular" && p > size) {
      throw new RangeError(`pad: circular padding ${p} must not be larger than the input size ${size} of dimension ${dimLabel}`);
    }
    if (mode === "replicate" && p > 0 && size === 0) {
      throw new RangeError(`pad: replicate padding needs a non-empty dimension ${dimLabel}, got size 0`);
    }
  }
  // Circular padding wraps around what is left after cropping (as torch does).
  const cropStart = Math.max(0, -before);
  const kept = size - cropStart - Math.max(0, -after);
  if (mode === "circular" && kept <= 0) {
    throw new RangeError(`pad: circular padding (${before}, ${after}) crops away all of dimension ${dimLabel} (size ${size}), leaving nothing to wrap around`);
  }
  const lead = Math.max(0, before);
  for (let j = 0; j < n; j++) {
    const i = j - before;
    if (mode === "reflect") source[j] = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    else if (mode === "replicate") source[j] = Math.min(Math.max(i, 0), size - 1);
    else source[j] = cropStart + ((((j - lead) % kept) + kept) % kept);
  }
  return source;
}

/** The input region that survives cropping, and where it lands in the output, per dim. */
function keptRegion(shape: readonly number[], before: readonly number[], after: readonly number[]): { from: number[]; to: number[]; size: number[] } {
  const from = shape.map((_, d) => Math.max(0, -before[d]));
  const to = shape.map((_, d) => Math.max(0, before[d]));
  const size = shape.map((s, d) => Math.max(0, s - from[d] - Math.max(0, -after[d])));
  return { from, to, size };
}

function regionView(v: View, start: readonly number[], size: readonly number[]): View {
  let offset = v.offset;
  start.forEach((s, d) => (offset += s * v.strides[d]));
  return { ...v, shape: size, strides: v.strides, offset };
}

function padConstant(x: Tensor, before: number[], after: number[], value: number): Tensor {
  if (typeof value !== "number") throw new TypeError(`pad: value must be a number, got ${typeof value}`);
  const backend = x.backend;
  const outShape = x.shape.map((s, d) => s + before[d] + after[d]);
  const out = empty(outShape, x.dtype, backend);
  backend.fill(out.raw(), castScalar(value, x.dtype));
  const r = keptRegion(x.shape, before, after);
  const any = numelOf(r.size) > 0;
  if (any) backend.copy(regionView(x.raw(), r.from, r.size), regionView(out.raw(), r.to, r.size));
  const inShape = [...x.shape];
  return record("ConstantPadBackward", [x], out, (g) => {
    const gx = zerosOf(inShape, g.dtype, g.backend);
    if (any) g.backend.copy(regionView(g.raw(), r.to, r.size), regionView(gx.raw(), r.from, r.size));
    return [gx];
  });
}

// ---------------------------------------------------------------------------------------------
// masks, one-hot

/** x with value wherever mask (bool, broadcast against x) is true (torch.masked_fill). */
export const maskedFill = traceable("maskedFill", function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  const op = "maskedFill";
  assertTensor(op, x);
  assertTensor(op, mask, "mask");
  if (mask.dtype !== "bool") throw new TypeError(`${op}: mask must be a bool tensor, got ${mask.dtype}`);
  const backend = commonBackend(op, x, mask, value instanceof Tensor ? value : null);
  broadcastShapes(op, x.shape, mask.shape);
  let v: Tensor;
  if (value instanceof Tensor) {
    assertTensor(op, value, "value");
    if (value.ndim !== 0) throw new RangeError(`${op}: a tensor value must be 0-d, got shape ${formatShape(value.shape)}`);
    v = cast(value, x.dtype);
  } else {
    if (typeof value !== "number" && typeof value !== "boolean") throw new TypeError(`${op}: value must be a number or a 0-d tensor, got ${value === null ? "null" : typeof value}`);
    v = empty([], x.dtype, backend);
    backend.fill(v.raw(), castScalar(Number(value), x.dtype));
  }
  return where(mask, v, x);
});

/** The elements of x where mask (broadcast against x) is true, as a 1-d tensor (torch.masked_select). */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const op = "maskedSelect";
  assertTensor(op, x);
  assertTensor(op, mask, "mask");
  if (mask.dtype !== "bool") throw new TypeError(`${op}: mask must be a bool tensor, got ${mask.dtype}`);
  commonBackend(op, x, mask);
  if (!mask.backend.syncReadable) throw new Error(`${op}: the ${mask.device} backend cannot read the mask synchronously, which maskedSelect needs to size its result`);
  const shape = broadcastShapes(op, x.shape, mask.shape);
  const m = mask.ndim === shape.length && shapesEqual(mask.shape, shape) ? mask : expand(mask, shape);
  const bits = m.dataSync();
  let count = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i]) count++;
  const positions = new Int32Array(count);
  for (let i = 0, k = 0; i < bits.length; i++) if (bits[i]) positions[k++] = i;
  if (m !== mask) m.dispose();
  const wide = shapesEqual(x.shape, shape) ? x : expand(x, shape);
  const flat = reshape(wide, [-1]);
  const idx = tensor(positions, { dtype: "int32", device: x.device });
  const out = indexSelect(flat, 0, idx);
  for (const t of [idx, flat, wide]) if (t !== x) t.dispose();
  return out;
}

/** One-hot encoding of int32 class indices: shape [...index.shape, numClasses], int32 (F.one_hot). */
export const oneHot = traceable("oneHot", function oneHot(index: Tensor, numClasses = -1): Tensor {
  const op = "oneHot";
  assertIndex(op, index, "input");
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new RangeError(`${op}: numClasses must be a non-negative integer or -1 (infer), got ${numClasses}`);
  const backend = index.backend;
  if (numClasses === -1 && index.numel() === 0) throw new RangeError(`${op}: cannot infer numClasses from an empty tensor; pass numClasses`);
  if (numClasses === -1 && !backend.syncReadable) throw new Error(`${op}: numClasses = -1 needs to read the class values, which the ${backend.name} backend cannot do synchronously; pass numClasses`);
  const ex = indexExtremes(index);
  const classes = numClasses === -1 ? ex![1] + 1 : numClasses;
  if (ex && ex[0] < 0) throw new RangeError(`${op}: class values must be non-negative, got ${ex[0]}`);
  if (ex && ex[1] >= classes) throw new RangeError(`${op}: class value ${ex[1]} is out of range for numClasses ${classes}`);
  const outShape = [...index.shape, classes];
  const out = zerosOf(outShape, "int32", backend);
  const one = empty([], "int32", backend);
  backend.fill(one.raw(), 1);
  const iShape = [...index.shape, 1];
  const iv = index.raw();
  const last = outShape.length - 1;
  backend.scatterAdd(out.raw(), last, { ...iv, shape: iShape, strides: [...iv.strides, 0] }, { ...one.raw(), shape: iShape, strides: iShape.map(() => 0) });
  one.dispose();
  return out;
});

// ---------------------------------------------------------------------------------------------
// flip / roll / repeat / tile

function dimList(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

/** Reverse the order of elements along the given dims (a copy, as torch.flip). */
export const flip = traceable("flip", function flip(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const op = "flip";
  assertTensor(op, x);
  const list = dimList(dims).map((d) => normalizeDim(op, assertDimNumber(op, "dims", d), x.ndim));
  if (new Set(list).size !== list.length) throw new RangeError(`${op}: dims ${JSON.stringify(dimList(dims))} name a dimension more than once`);
  let y = x;
  for (const d of list) {
    if (x.ndim === 0 || x.shape[d] <= 1) continue;
    const n = x.shape[d];
    y = selectAndRelease(x, y, d, Int32Array.from({ length: n }, (_, i) => n - 1 - i));
  }
  return y === x ? clone(x) : y;
});

/**
 * Shift elements along dims, wrapping around (torch.roll); without dims, x is rolled as if
 * flattened and keeps its shape.
 */
export const roll = traceable("roll", function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const op = "roll";
  assertTensor(op, x);
  const shiftList = typeof shifts === "number" ? [shifts] : [...shifts];
  shiftList.forEach((s) => assertDimNumber(op, "shifts", s));
  if (dims === undefined) {
    if (shiftList.length !== 1) throw new RangeError(`${op}: without dims, shifts must be a single number, got ${JSON.stringify(shifts)}`);
    return reshape(roll(reshape(x, [-1]), shiftList[0], 0), x.shape);
  }
  const dimArr = (typeof dims === "number" ? [dims] : [...dims]).map((d) => normalizeDim(op, assertDimNumber(op, "dims", d), x.ndim));
  if (dimArr.length !== shiftList.length) {
    throw new RangeError(`${op}: shifts and dims must have the same length, got ${shiftList.length} shift(s) and ${dimArr.length} dim(s)`);
  }
  let y = x;
  dimArr.forEach((d, k) => {
    const n = x.ndim === 0 ? 1 : x.shape[d];
    if (n === 0) return;
    const s = ((shiftList[k] % n) + n) % n;
    if (s === 0) return;
    y = selectAndRelease(x, y, d, Int32Array.from({ length: n }, (_, j) => (j - s + n) % n));
  });
  return y === x ? clone(x) : y;
});

/** Tile x: sizes[i] copies along dim i, with leading new dims when sizes is longer (torch.Tensor.repeat). */
export const repeat = traceable("repeat", function repeat(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const op = "repeat";
  assertTensor(op, x);
  const reps = dimList(sizes);
  reps.forEach((r) => {
    if (typeof r !== "number" || !Number.isInteger(r) || r < 0) throw new RangeError(`${op}: repeat counts must be non-negative integers, got ${JSON.stringify(reps)}`);
  });
  if (reps.length < x.ndim) {
    throw new RangeError(`${op}: got ${reps.length} repeat count(s) for a tensor with ${x.ndim} dimensions (shape ${formatShape(x.shape)}); give at least one per dimension`);
  }
  const shape = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  // View as [1, s0, 1, s1, …], broadcast to [r0, s0, r1, s1, …], then merge each pair: one copy.
  const interleaved = shape.flatMap((s) => [1, s]);
  const expanded = shape.flatMap((s, i) => [reps[i], s]);
  const spread = reshape(x, interleaved);
  const wide = expand(spread, expanded);
  const out = reshape(wide, shape.map((s, i) => s * reps[i]));
  for (const t of [spread, wide]) if (t !== out && t !== x) t.dispose();
  return out;
});

/** torch.tile: like repeat, but dims shorter than x's rank are padded with leading 1s. */
export const tile = traceable("tile", function tile(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor("tile", x);
  if (!Array.isArray(dims)) throw new TypeError(`tile: dims must be an array of integers, got ${String(dims)}`);
  const reps = [...new Array<number>(Math.max(0, x.ndim - dims.length)).fill(1), ...dims];
  return repeat(x, reps);
});

// ---------------------------------------------------------------------------------------------
// methods

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** cat([this, ...others], dim): the method form the API promises for every op. */
    cat(others: readonly Tensor[], dim?: number): Tensor;
    /** stack([this, ...others], dim). */
    stack(others: readonly Tensor[], dim?: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    pad(pads: readonly number[], opts?: PadOptions): Tensor;
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    flip(...dims: (number | readonly number[])[]): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    repeat(...sizes: (number | readonly number[])[]): Tensor;
    tile(dims: readonly number[]): Tensor;
  }
}

Tensor.prototype.cat = function (others, d) { return cat([this, ...others], d); };
Tensor.prototype.stack = function (others, d) { return stack([this, ...others], d); };
Tensor.prototype.indexSelect = function (d, i) { return indexSelect(this, d, i); };
Tensor.prototype.indexAdd = function (d, i, s, o) { return indexAdd(this, d, i, s, o); };
Tensor.prototype.gather = function (d, i) { return gather(this, d, i); };
Tensor.prototype.scatter = function (d, i, s) { return scatter(this, d, i, s); };
Tensor.prototype.scatterAdd = function (d, i, s) { return scatterAdd(this, d, i, s); };
Tensor.prototype.split = function (s, d) { return split(this, s, d); };
Tensor.prototype.chunk = function (c, d) { return chunk(this, c, d); };
Tensor.prototype.unbind = function (d) { return unbind(this, d); };
Tensor.prototype.pad = function (p, o) { return pad(this, p, o); };
Tensor.prototype.maskedFill = function (m, v) { return maskedFill(this, m, v); };
Tensor.prototype.maskedSelect = function (m) { return maskedSelect(this, m); };
Tensor.prototype.flip = function (...d) { return flip(this, ...d); };
Tensor.prototype.roll = function (s, d) { return roll(this, s, d); };
Tensor.prototype.repeat = function (...s) { return repeat(this, ...s); };
Tensor.prototype.tile = function (d) { return tile(this, d); };
