// Pooling ops with torch.nn.functional semantics: max, min, average, power-average (LP) and
// adaptive pooling over 1, 2 or 3 spatial dims, batched [N, C, ...] or unbatched [C, ...], with
// their gradients. Window geometry (output sizes, ceil mode, padding limits) follows torch.

import type { AvgPoolParams, WindowParams } from "../backend/backend.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { assertFloating, assertTensor, empty } from "./util.js";
import { intTuple, type IntOrTuple } from "../core/int-tuple.js";
import { abs, mul, neg, pow, relu, sign } from "./elementwise.js";
import { contiguous, squeeze, unsqueeze } from "./view.js";
import { traceable } from "../graph/recorder.js";


export interface MaxPoolOptions {
  /** Defaults to kernelSize (null or [] also mean the default, as torch's stride=None). */
  stride?: IntOrTuple | null;
  /** Implicit -infinity padding on both sides; at most half the kernel size. */
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  /** Use ceil instead of floor for the output size (the last window must start inside the input or left padding). */
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  stride?: IntOrTuple | null;
  /** Implicit zero padding on both sides; at most half the kernel size. */
  padding?: IntOrTuple;
  ceilMode?: boolean;
  /** Whether zero padding counts in the divisor (default true, as torch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

export interface LpPoolOptions {
  stride?: IntOrTuple | null;
  ceilMode?: boolean;
}

/** An adaptive output size: one size for every dim, or one per dim where null keeps the input's size. */
export type AdaptiveSize = number | null | readonly (number | null)[];

// ---------------------------------------------------------------------------------------------
// input checks and geometry

/** Check x is a floating tensor of rank nd+1 (unbatched) or nd+2 (batched) with non-empty non-batch dims. */
function checkInput(op: string, x: Tensor, nd: number): void {
  assertTensor(op, x);
  assertFloating(op, x);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new RangeError(`${op}: expected a ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input, got shape ${formatShape(x.shape)}`);
  }
  const unbatched = x.ndim === nd + 1;
  if (x.shape.some((s, i) => s === 0 && (unbatched || i > 0))) {
    throw new RangeError(`${op}: expected non-zero sizes in every dim but the batch dim, got shape ${formatShape(x.shape)}`);
  }
}

/** The checked input as a contiguous batched tensor, and whether it came unbatched. */
function batched(op: string, x: Tensor, nd: number): { xb: Tensor; unbatched: boolean } {
  checkInput(op, x, nd);
  const unbatched = x.ndim === nd + 1;
  return { xb: contiguous(unbatched ? unsqueeze(x, 0) : x), unbatched };
}

const unbatch = (t: Tensor, unbatched: boolean): Tensor => (unbatched ? squeeze(t, 0) : t);

/** A pooling window resolved per spatial dim (the pooling layers resolve theirs here too). */
export interface PoolWindow {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

export function resolvePoolWindow(
  op: string, nd: number, kernelSize: IntOrTuple,
  opts: { stride?: IntOrTuple | null; padding?: IntOrTuple; dilation?: IntOrTuple; ceilMode?: boolean },
): PoolWindow {
  const kernel = intTuple(op, "kernelSize", kernelSize, nd);
  const noStride = opts.stride == null || (Array.isArray(opts.stride) && opts.stride.length === 0);
  const stride = noStride ? kernel : intTuple(op, "stride", opts.stride as IntOrTuple, nd);
  const dilation = intTuple(op, "dilation", opts.dilation ?? 1, nd);
  const padding = intTuple(op, "padding", opts.padding ?? 0, nd, 0);
  padding.forEach((p, i) => {
    if (p > kernel[i] / 2) throw new RangeError(`${op}: padding ${p} must be at most half of kernel size ${kernel[i]}`);
  });
  return { kernel, stride, padding, dilation, ceilMode: opts.ceilMode ?? false };
}

/** torch's pooling output size: floor (or ceil, keeping the last window's start inside input or left padding). */
function pooledLength(L: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((L + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= L + p) o--;
  return o;
}

function pooledShape(op: string, xShape: readonly number[], w: PoolWindow): number[] {
  const spatial = xShape.slice(2);
  const out = spatial.map((L, i) => pooledLength(L, w.kernel[i], w.stride[i], w.padding[i], w.dilation[i], w.ceilMode));
  const shape = [xShape[0], xShape[1], ...out];
  if (out.some((o) => o < 1)) {
    throw new RangeError(
      `${op}: input of size ${formatShape(xShape)} gives output size ${formatShape(shape)}, which is too small ` +
      `(kernelSize ${formatShape(w.kernel)}, stride ${formatShape(w.stride)}, padding ${formatShape(w.padding)}, dilation ${formatShape(w.dilation)})`,
    );
  }
  return shape;
}

/** Kernel geometry: padAfter is the real (symmetric) padding; the kernel reads the window count from out. */
function windowParams(w: PoolWindow): WindowParams {
  return { kernel: w.kernel, stride: w.stride, padBefore: w.padding, padAfter: w.padding, dilation: w.dilation };
}

/** The gradient as a contiguous tensor (engine gradients may be strided or broadcast views). */
const dense = (g: Tensor): Tensor => contiguous(g);

// ---------------------------------------------------------------------------------------------
// differentiable cores (batched, contiguous input)

/** Input gradient from output gradient and argmax indices (shared by max and adaptive max pooling). */
export function scatterByIndices(g: Tensor, indices: Tensor, inShape: readonly number[]): Tensor {
  const gy = dense(g);
  const gx = empty(inShape, g.dtype, g.backend);
  g.backend.maxPoolBackward(gy.raw(), indices.raw(), gx.raw());
  return gx;
}

/** With afterRelu, max pooling of relu(xb) in one kernel: windows with no positive max route no gradient. */
function maxPoolCore(xb: Tensor, outShape: number[], p: WindowParams, nd: number, afterRelu: boolean): [Tensor, Tensor] {
  const b = xb.backend;
  const out = empty(outShape, xb.dtype, b);
  const indices = empty(outShape, "int32", b);
  b.maxPool(xb.raw(), out.raw(), indices.raw(), p, afterRelu);
  const inShape = [...xb.shape];
  record(`${afterRelu ? "Relu" : ""}MaxPool${nd}dBackward`, [xb], out, (g, [si]) => [scatterByIndices(g, si, inShape)], [indices]);
  return [out, indices];
}

function avgPoolCore(xb: Tensor, outShape: number[], p: AvgPoolParams, nd: number): Tensor {
  const b = xb.backend;
  const out = empty(outShape, xb.dtype, b);
  b.avgPool(xb.raw(), out.raw(), p);
  const inShape = [...xb.shape];
  return record(`AvgPool${nd}dBackward`, [xb], out, (g) => {
    const gx = empty(inShape, g.dtype, g.backend);
    g.backend.avgPoolBackward(dense(g).raw(), gx.raw(), p);
    return [gx];
  });
}

function adaptiveAvgCore(xb: Tensor, outShape: number[], nd: number): Tensor {
  const b = xb.backend;
  const out = empty(outShape, xb.dtype, b);
  b.adaptiveAvgPool(xb.raw(), out.raw());
  const inShape = [...xb.shape];
  return record(`AdaptiveAvgPool${nd}dBackward`, [xb], out, (g) => {
    const gx = empty(inShape, g.dtype, g.backend);
    g.backend.adaptiveAvgPoolBackward(dense(g).raw(), gx.raw());
    return [gx];
  });
}

function adaptiveMaxCore(xb: Tensor, outShape: number[], nd: number): [Tensor, Tensor] {
  const b = xb.backend;
  const out = empty(outShape, xb.dtype, b);
  const indices = empty(outShape, "int32", b);
  b.adaptiveMaxPool(xb.raw(), out.raw(), indices.raw());
  const inShape = [...xb.shape];
  record(`AdaptiveMaxPool${nd}dBackward`, [xb], out, (g, [si]) => [scatterByIndices(g, si, inShape)], [indices]);
  return [out, indices];
}

// ---------------------------------------------------------------------------------------------
// max / min pooling

function maxPoolWithIndices(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions, afterRelu = false): [Tensor, Tensor] {
  const { xb, unbatched } = batched(op, x, nd);
  const w = resolvePoolWindow(op, nd, kernelSize, opts);
  const [out, indices] = maxPoolCore(xb, pooledShape(op, xb.shape, w), windowParams(w), nd, afterRelu);
  return [unbatch(out, unbatched), unbatch(indices, unbatched)];
}

/** A max pool's kernel geometry and output shape for a batched input of shape xShape (checked as maxPoolNd checks it). */
export function maxPoolPlan(op: string, nd: number, xShape: readonly number[], kernelSize: IntOrTuple, opts: MaxPoolOptions): { params: WindowParams; outShape: number[] } {
  const w = resolvePoolWindow(op, nd, kernelSize, opts);
  return { params: windowParams(w), outShape: pooledShape(op, xShape, w) };
}

/** The values alone; backward keeps its own reference to the indices, so ours can go now. */
function valuesOnly([values, indices]: [Tensor, Tensor]): Tensor {
  indices.dispose();
  return values;
}

const maxPoolValues = (op: string, nd: number, x: Tensor, k: IntOrTuple, opts: MaxPoolOptions): Tensor =>
  valuesOnly(maxPoolWithIndices(op, nd, x, k, opts));

/** Max over each window of x [N, C, L] or [C, L]. */
export const maxPool1d = traceable("maxPool1d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  maxPoolValues("maxPool1d", 1, x, kernelSize, opts));
/** Max over each window of x [N, C, H, W] or [C, H, W]. */
export const maxPool2d = traceable("maxPool2d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  maxPoolValues("maxPool2d", 2, x, kernelSize, opts));
/** Max over each window of x [N, C, D, H, W] or [C, D, H, W]. */
export const maxPool3d = traceable("maxPool3d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  maxPoolValues("maxPool3d", 3, x, kernelSize, opts));

/**
 * maxPoolNd(relu(x)) as one op: the same values and gradients as the two ops (max commutes with
 * relu; a window whose max is not positive passes no gradient, as relu's derivative there is 0),
 * without the relu pass and its output each way. nn.Sequential uses it for a ReLU followed by a
 * max-pool layer.
 */
export const reluMaxPool1d = traceable("reluMaxPool1d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  valuesOnly(maxPoolWithIndices("reluMaxPool1d", 1, x, kernelSize, opts, true)));
export const reluMaxPool2d = traceable("reluMaxPool2d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  valuesOnly(maxPoolWithIndices("reluMaxPool2d", 2, x, kernelSize, opts, true)));
export const reluMaxPool3d = traceable("reluMaxPool3d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  valuesOnly(maxPoolWithIndices("reluMaxPool3d", 3, x, kernelSize, opts, true)));

/**
 * Max pooling that also returns where each max came from: int32 flat indices into each (n, c)
 * spatial plane (torch's return_indices=True; torch's are int64).
 */
export const maxPool1dWithIndices = traceable("maxPool1dWithIndices", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): [Tensor, Tensor] =>
  maxPoolWithIndices("maxPool1dWithIndices", 1, x, kernelSize, opts));
export const maxPool2dWithIndices = traceable("maxPool2dWithIndices", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): [Tensor, Tensor] =>
  maxPoolWithIndices("maxPool2dWithIndices", 2, x, kernelSize, opts));
export const maxPool3dWithIndices = traceable("maxPool3dWithIndices", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): [Tensor, Tensor] =>
  maxPoolWithIndices("maxPool3dWithIndices", 3, x, kernelSize, opts));

function minPool(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions): Tensor {
  // Check under this op's name before negating, so errors do not blame neg.
  checkInput(op, x, nd);
  return neg(maxPoolValues(op, nd, neg(x), kernelSize, opts));
}

/** Min over each window: -maxPool(-x), padding counting as +infinity. */
export const minPool1d = traceable("minPool1d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  minPool("minPool1d", 1, x, kernelSize, opts));
export const minPool2d = traceable("minPool2d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  minPool("minPool2d", 2, x, kernelSize, opts));
export const minPool3d = traceable("minPool3d", (x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOptions = {}): Tensor =>
  minPool("minPool3d", 3, x, kernelSize, opts));

// ---------------------------------------------------------------------------------------------
// average pooling

function avgPool(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOptions): Tensor {
  const { xb, unbatched } = batched(op, x, nd);
  const w = resolvePoolWindow(op, nd, kernelSize, { stride: opts.stride, padding: opts.padding, ceilMode: opts.ceilMode });
  const divisorOverride = opts.divisorOverride ?? undefined;
  if (divisorOverride !== undefined && (!Number.isFinite(divisorOverride) || divisorOverride === 0)) {
    throw new RangeError(`${op}: divisorOverride must be a non-zero finite number, got ${divisorOverride}`);
  }
  const p: AvgPoolParams = { ...windowParams(w), countIncludePad: opts.countIncludePad ?? true, divisorOverride };
  return unbatch(avgPoolCore(xb, pooledShape(op, xb.shape, w), p, nd), unbatched);
}

/** Mean over each window of x [N, C, L] or [C, L]. */
export const avgPool1d = traceable("avgPool1d", (x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOptions = {}): Tensor =>
  avgPool("avgPool1d", 1, x, kernelSize, opts));
/** Mean over each window of x [N, C, H, W] or [C, H, W]. */
export const avgPool2d = traceable("avgPool2d", (x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOptions = {}): Tensor =>
  avgPool("avgPool2d", 2, x, kernelSize, opts));
/** Mean over each window of x [N, C, D, H, W] or [C, D, H, W]. */
export const avgPool3d = traceable("avgPool3d", (x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOptions = {}): Tensor =>
  avgPool("avgPool3d", 3, x, kernelSize, opts));

// ---------------------------------------------------------------------------------------------
// power-average pooling

function lpPool(op: string, nd: number, x: Tensor, normType: number, kernelSize: IntOrTuple, opts: LpPoolOptions): Tensor {
  checkInput(op, x, nd);
  if (typeof normType !== "number" || !Number.isFinite(normType) || normType === 0) {
    throw new RangeError(`${op}: normType must be a non-zero finite number, got ${String(normType)}`);
  }
  const kernel = intTuple(op, "kernelSize", kernelSize, nd);
  const windowSize = kernel.reduce((a, b) => a * b, 1);
  // torch's definition: (mean of x^p over the window · window size)^(1/p), through
  // sign(a)·relu(|a|) so gradients match torch's exactly.
  const a = avgPool(op, nd, pow(x, normType), kernel, { stride: opts.stride, ceilMode: opts.ceilMode, padding: 0 });
  return pow(mul(mul(sign(a), relu(abs(a))), windowSize), 1 / normType);
}

/** (Σ over each window of x^p)^(1/p) for x [N, C, L] or [C, L] (torch's lp_pool1d). */
export const lpPool1d = traceable("lpPool1d", (x: Tensor, normType: number, kernelSize: IntOrTuple, opts: LpPoolOptions = {}): Tensor =>
  lpPool("lpPool1d", 1, x, normType, kernelSize, opts));
/** (Σ over each window of x^p)^(1/p) for x [N, C, H, W] or [C, H, W] (torch's lp_pool2d). */
export const lpPool2d = traceable("lpPool2d", (x: Tensor, normType: number, kernelSize: IntOrTuple, opts: LpPoolOptions = {}): Tensor =>
  lpPool("lpPool2d", 2, x, normType, kernelSize, opts));

// ---------------------------------------------------------------------------------------------
// adaptive pooling

function adaptiveShape(op: string, xb: Tensor, outputSize: AdaptiveSize, nd: number): number[] {
  const list = Array.isArray(outputSize) ? [...(outputSize as (number | null)[])] : new Array<number | null>(nd).fill(outputSize as number | null);
  const bad = list.length !== nd || list.some((s) => s !== null && (!Number.isInteger(s) || s < 0));
  if (bad) {
    throw new RangeError(`${op}: outputSize must be a non-negative integer or an array of ${nd} (non-negative integers or null), got ${JSON.stringify(outputSize)}`);
  }
  return [xb.shape[0], xb.shape[1], ...list.map((s, i) => s ?? xb.shape[2 + i])];
}

function adaptiveAvgPool(op: string, nd: number, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { xb, unbatched } = batched(op, x, nd);
  return unbatch(adaptiveAvgCore(xb, adaptiveShape(op, xb, outputSize, nd), nd), unbatched);
}

function adaptiveMaxPool(op: string, nd: number, x: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  const { xb, unbatched } = batched(op, x, nd);
  const [out, indices] = adaptiveMaxCore(xb, adaptiveShape(op, xb, outputSize, nd), nd);
  return [unbatch(out, unbatched), unbatch(indices, unbatched)];
}

/** Average pooling to a fixed output length: window i spans floor(i·L/O) .. ceil((i+1)·L/O). */
export const adaptiveAvgPool1d = traceable("adaptiveAvgPool1d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  adaptiveAvgPool("adaptiveAvgPool1d", 1, x, outputSize));
export const adaptiveAvgPool2d = traceable("adaptiveAvgPool2d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  adaptiveAvgPool("adaptiveAvgPool2d", 2, x, outputSize));
export const adaptiveAvgPool3d = traceable("adaptiveAvgPool3d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  adaptiveAvgPool("adaptiveAvgPool3d", 3, x, outputSize));

/** Max pooling to a fixed output size (same windows as adaptive average pooling). */
export const adaptiveMaxPool1d = traceable("adaptiveMaxPool1d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  valuesOnly(adaptiveMaxPool("adaptiveMaxPool1d", 1, x, outputSize)));
export const adaptiveMaxPool2d = traceable("adaptiveMaxPool2d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  valuesOnly(adaptiveMaxPool("adaptiveMaxPool2d", 2, x, outputSize)));
export const adaptiveMaxPool3d = traceable("adaptiveMaxPool3d", (x: Tensor, outputSize: AdaptiveSize): Tensor =>
  valuesOnly(adaptiveMaxPool("adaptiveMaxPool3d", 3, x, outputSize)));
/** Adaptive max pooling with int32 flat in-plane indices of each max (torch's return_indices=True). */
export const adaptiveMaxPool1dWithIndices = (x: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] =>
  adaptiveMaxPool("adaptiveMaxPool1dWithIndices", 1, x, outputSize);
export const adaptiveMaxPool2dWithIndices = (x: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] =>
  adaptiveMaxPool("adaptiveMaxPool2dWithIndices", 2, x, outputSize);
export const adaptiveMaxPool3dWithIndices = (x: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] =>
  adaptiveMaxPool("adaptiveMaxPool3dWithIndices", 3, x, outputSize);

/** Mean over H and W keeping them as size 1: [N, C, H, W] → [N, C, 1, 1] ([C, H, W] → [C, 1, 1]). */
export const globalAvgPool2d = traceable("globalAvgPool2d", (x: Tensor): Tensor => adaptiveAvgPool("globalAvgPool2d", 2, x, 1));
