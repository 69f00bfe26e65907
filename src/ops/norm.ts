// Normalisation layers' functional forms with torch.nn.functional semantics: batchNorm, layerNorm,
// groupNorm, instanceNorm and localResponseNorm, each with its gradient.
//
// Batch norm runs on the backend's per-channel kernels (statistics, apply, and the training-mode
// backward in one kernel). Layer, group and instance norm share one "row norm": x viewed as
// [rows, cols] is normalised per row with the backend's moments kernel, then scaled and shifted
// per feature; its backward is the standard closed form, written with tensor ops.

import type { View } from "../backend/backend.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousStrides, formatShape, numelOf } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { noGrad } from "../autograd/grad-mode.js";
import { needsGrad } from "../autograd/node.js";
import { assertFloating, assertTensor, commonBackend, empty } from "./util.js";
import { add, add_, div, mul, mul_, pow, rsqrt, sub } from "./elementwise.js";
import { mean, variance } from "./reduce.js";
import { contiguous, reshape } from "./view.js";
import { traceable } from "../graph/recorder.js";

// ---------------------------------------------------------------------------------------------
// shared helpers

/** t itself when contiguous, else a contiguous copy made without recording a graph node. */
function dense(t: Tensor): Tensor {
  if (t.isContiguous()) return t;
  const out = empty(t.shape, t.dtype, t.backend);
  t.backend.copy(t.raw(), out.raw());
  return out;
}

/** A contiguous tensor's kernel view reshaped (no copy). */
function viewAs(t: Tensor, shape: number[]): View {
  return { ...t.raw(), shape, strides: contiguousStrides(shape) };
}

function checkNumber(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RangeError(`${op}: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}, got ${String(v)}`);
  }
  return v;
}

/** An optional per-channel tensor: checked to hold `count` elements and cast to x's dtype. */
function channelParam(op: string, name: string, t: Tensor | null | undefined, count: number, x: Tensor): Tensor | null {
  if (t === null || t === undefined) return null;
  assertTensor(op, t, name);
  assertFloating(op, t, name);
  if (t.numel() !== count) {
    throw new RangeError(`${op}: ${name} should contain ${count} elements (one per channel of the input of shape ${formatShape(x.shape)}), got shape ${formatShape(t.shape)}`);
  }
  return t.dtype === x.dtype ? t : t.to(x.dtype);
}

/** x [N, C, ...spatial] as the grid [N, C, S]. */
function channelGrid(x: Tensor): number[] {
  return [x.shape[0], x.shape[1], numelOf(x.shape.slice(2))];
}

/** [1, C, 1, …] for broadcasting a per-channel vector over x. */
function channelShape(x: Tensor): number[] {
  return x.shape.map((s, i) => (i === 1 ? s : 1));
}

// ---------------------------------------------------------------------------------------------
// batch norm

export interface BatchNormOptions {
  /** Normalise with the batch's statistics and update the running ones (default false). */
  training?: boolean;
  /** Weight of the new batch statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over the channel dim 1 of x [N, C, ...] (torch.nn.functional.batch_norm).
 * In training, or when the running statistics are null, the batch's mean and biased variance
 * normalise x; in training the running statistics (when given) are updated in place with the
 * batch mean and the unbiased variance: r ← (1 − momentum)·r + momentum·stat. Otherwise the
 * running statistics normalise x.
 */
export const batchNorm = traceable("batchNorm", function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  weight?: Tensor | null, bias?: Tensor | null, opts: BatchNormOptions = {},
): Tensor {
  const op = "batchNorm";
  assertTensor(op, x);
  assertFloating(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input of shape [N, C, ...] with at least 2 dimensions, got shape ${formatShape(x.shape)}`);
  const training = opts.training ?? false;
  const momentum = checkNumber(op, "momentum", opts.momentum ?? 0.1);
  const eps = checkNumber(op, "eps", opts.eps ?? 1e-5, 0);
  if ((runningMean == null) !== (runningVar == null)) {
    throw new TypeError(`${op}: runningMean and runningVar must both be tensors or both be null`);
  }
  commonBackend(op, x, runningMean, runningVar, weight, bias);
  const C = x.shape[1];
  const rm = runningMean ? checkRunningStat(op, "runningMean", runningMean, C, x) : null;
  const rv = runningVar ? checkRunningStat(op, "runningVar", runningVar, C, x) : null;
  const w = channelParam(op, "weight", weight, C, x);
  const b = channelParam(op, "bias", bias, C, x);
  if (!training && rm && rv) return batchNormEval(x, rm, rv, w, b, eps);

  const perChannel = x.numel() / Math.max(C, 1);
  if (perChannel === 1) {
    throw new RangeError(`${op}: Expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`);
  }
  if (x.numel() === 0) return empty(x.shape, x.dtype, x.backend);
  const { out, mean: batchMean, variance: batchVar } = batchNormTrain(x, w, b, eps);
  if (training && rm && rv) {
    noGrad(() => {
      updateRunning(rm, batchMean, momentum);
      updateRunning(rv, mul(batchVar, perChannel / (perChannel - 1)), momentum);
    });
  }
  // The backward node keeps its own references; these handles are done.
  batchMean.dispose();
  batchVar.dispose();
  return out;
});

function checkRunningStat(op: string, name: string, t: Tensor, count: number, x: Tensor): Tensor {
  assertTensor(op, t, name);
  assertFloating(op, t, name);
  if (t.numel() !== count) {
    throw new RangeError(`${op}: ${name} should contain ${count} elements (one per channel of the input of shape ${formatShape(x.shape)}), got shape ${formatShape(t.shape)}`);
  }
  return t;
}

/** r ← (1 − momentum)·r + momentum·stat, in place (bumps r's version). */
function updateRunning(r: Tensor, stat: Tensor, momentum: number): void {
  mul_(r, 1 - momentum);
  add_(r, reshape(stat, r.shape), { alpha: momentum });
}

/** Training-mode batch norm on the backend's kernels; returns the output and the batch statistics. */
function batchNormTrain(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number): { out: Tensor; mean: Tensor; variance: Tensor } {
  const backend = x.backend;
  const C = x.shape[1];
  const grid = channelGrid(x);
  const xc = dense(x);
  const batchMean = empty([C], x.dtype, backend);
  const batchVar = empty([C], x.dtype, backend);
  backend.channelMoments(viewAs(xc, grid), batchMean.raw(), batchVar.raw());
  const rstd = noGrad(() => rsqrt(add(batchVar, eps)));
  const out = empty(x.shape, x.dtype, backend);
  backend.batchNormApply(viewAs(xc, grid), batchMean.raw(), rstd.raw(), w?.raw() ?? null, b?.raw() ?? null, viewAs(out, grid));
  const wShape = w ? [...w.shape] : null, bShape = b ? [...b.shape] : null;
  const xShape = [...x.shape];
  record("NativeBatchNormBackward", [x, w, b], out, (g, saved, needs) => {
    const [sx, sMean, sRstd, sw] = saved;
    const gc = dense(g);
    const gx = empty(xShape, sx.dtype, sx.backend);
    const gw = needs[1] && wShape ? empty(wShape, sx.dtype, sx.backend) : null;
    const gb = needs[2] && bShape ? empty(bShape, sx.dtype, sx.backend) : null;
    sx.backend.batchNormBackward(
      viewAs(gc, grid), viewAs(sx, grid), sMean.raw(), sRstd.raw(), sw?.raw() ?? null,
      viewAs(gx, grid), gw?.raw() ?? null, gb?.raw() ?? null,
    );
    return [needs[0] ? gx : null, gw, gb];
  }, w ? [xc, batchMean, rstd, w] : [xc, batchMean, rstd]);
  rstd.dispose();
  if (xc !== x) xc.dispose();
  return { out, mean: batchMean, variance: batchVar };
}

/** Eval-mode batch norm with the running statistics: y = x·scale[c] + shift[c]. */
function batchNormEval(x: Tensor, rm: Tensor, rv: Tensor, w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  const C = x.shape[1];
  const mu = rm.dtype === x.dtype ? rm : rm.to(x.dtype);
  const v = rv.dtype === x.dtype ? rv : rv.to(x.dtype);
  if (needsGrad([x, mu, v, w, b])) {
    // Differentiable composite: gradients reach x, weight, bias (and the statistics if they ask).
    const bshape = channelShape(x);
    let scale = rsqrt(add(reshape(v, [C]), eps));
    if (w) scale = mul(scale, reshape(w, [C]));
    let shift = mul(reshape(mu, [C]), scale);
    shift = b ? sub(reshape(b, [C]), shift) : mul(shift, -1);
    return add(mul(x, reshape(scale, bshape)), reshape(shift, bshape));
  }
  const grid = channelGrid(x);
  const xc = dense(x);
  const rstd = rsqrt(add(v, eps));
  const out = empty(x.shape, x.dtype, x.backend);
  x.backend.batchNormApply(viewAs(xc, grid), mu.raw(), rstd.raw(), w?.raw() ?? null, b?.raw() ?? null, viewAs(out, grid));
  for (const t of [xc, rstd, mu, v]) if (t !== x && t !== rm && t !== rv) t.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// row norm: layer, group and instance norm

/**
 * Normalise x viewed as [rows, cols] row by row (biased variance), then y = x̂·w[c] + b[c] with x
 * viewed as `affineGrid` [A, C, S] (C = the number of affine parameters).
 *
 * Everything runs on the batch-norm kernels, which apply and differentiate a per-channel
 * normalisation of [N, C, S] data: rows are channels of a [1, rows, cols] view (with the row
 * statistics from the moments kernel), and the affine step is a per-channel apply with mean 0 and
 * rstd 1 on the affine grid. So each step is one pass over the data.
 */
function rowNorm(
  name: string, x: Tensor, rows: number, cols: number, eps: number,
  w: Tensor | null, b: Tensor | null, affineGrid: number[],
): Tensor {
  const backend = x.backend;
  const xShape = [...x.shape];
  if (x.numel() === 0) return empty(xShape, x.dtype, backend);
  const rowGrid = [1, rows, cols];
  const xc = dense(x);
  const m = empty([rows], x.dtype, backend);
  const r = empty([rows], x.dtype, backend);
  backend.moments(viewAs(xc, [rows, cols]), rows, cols, eps, m.raw(), r.raw());
  let out = empty(xShape, x.dtype, backend);
  backend.batchNormApply(viewAs(xc, rowGrid), m.raw(), r.raw(), null, null, viewAs(out, rowGrid));
  if (w || b) {
    const xhat = out;
    out = empty(xShape, x.dtype, backend);
    perChannelAffine(xhat, w, b, affineGrid, out);
    xhat.dispose();
  }
  const wShape = w ? [...w.shape] : null, bShape = b ? [...b.shape] : null;
  record(name, [x, w, b], out, (g, saved, needs) => {
    const [sx, sm, sr, sw] = saved;
    const bk = sx.backend, dt = sx.dtype;
    const gc = dense(g);
    // ĝ = g·w, the gradient w.r.t. x̂.
    let gxhat = gc;
    if (sw) {
      gxhat = empty(xShape, dt, bk);
      perChannelAffine(gc, sw, null, affineGrid, gxhat);
    }
    const gx = empty(xShape, dt, bk);
    bk.batchNormBackward(viewAs(gxhat, rowGrid), viewAs(sx, rowGrid), sm.raw(), sr.raw(), null, viewAs(gx, rowGrid), null, null);
    let gw: Tensor | null = null, gb: Tensor | null = null;
    if ((needs[1] && wShape) || (needs[2] && bShape)) {
      // Σ g·x̂ and Σ g per affine channel: batch norm's parameter gradients on x̂ with mean 0, rstd 1.
      const xhat = empty(xShape, dt, bk);
      bk.batchNormApply(viewAs(sx, rowGrid), sm.raw(), sr.raw(), null, null, viewAs(xhat, rowGrid));
      const C = affineGrid[1];
      const [zero, one] = identityStats(C, dt, bk);
      const scratch = empty(xShape, dt, bk);
      gw = needs[1] && wShape ? empty(wShape, dt, bk) : null;
      gb = needs[2] && bShape ? empty(bShape, dt, bk) : null;
      bk.batchNormBackward(viewAs(gc, affineGrid), viewAs(xhat, affineGrid), zero.raw(), one.raw(), null, viewAs(scratch, affineGrid), gw?.raw() ?? null, gb?.raw() ?? null);
    }
    return [needs[0] ? gx : null, gw, gb];
  }, w ? [xc, m, r, w] : [xc, m, r]);
  m.dispose();
  r.dispose();
  if (xc !== x) xc.dispose();
  return out;
}

/** Mean 0 and rstd 1 per channel: turns the batch-norm kernels into a plain per-channel affine. */
function identityStats(C: number, dtype: Tensor["dtype"], backend: Tensor["backend"]): [Tensor, Tensor] {
  const zero = empty([C], dtype, backend), one = empty([C], dtype, backend);
  backend.fill(zero.raw(), 0);
  backend.fill(one.raw(), 1);
  return [zero, one];
}

/** out = t·w[c] + b[c] on t (contiguous) viewed as grid [A, C, S]; w or b may be null. */
function perChannelAffine(t: Tensor, w: Tensor | null, b: Tensor | null, grid: number[], out: Tensor): void {
  const [zero, one] = identityStats(grid[1], t.dtype, t.backend);
  t.backend.batchNormApply(viewAs(t, grid), zero.raw(), one.raw(), w?.raw() ?? null, b?.raw() ?? null, viewAs(out, grid));
  zero.dispose();
  one.dispose();
}

/**
 * Layer normalisation over the trailing dims given by normalizedShape
 * (torch.nn.functional.layer_norm); weight and bias have shape normalizedShape.
 */
export const layerNorm = traceable("layerNorm", function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  const op = "layerNorm";
  assertTensor(op, x);
  assertFloating(op, x);
  checkNumber(op, "eps", eps, 0);
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : [...(normalizedShape ?? [])];
  if (ns.length === 0 || ns.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`${op}: normalizedShape must be a non-empty list of sizes, got ${JSON.stringify(normalizedShape)}`);
  }
  const lead = x.ndim - ns.length;
  if (lead < 0 || ns.some((s, i) => x.shape[lead + i] !== s)) {
    throw new RangeError(`${op}: given normalizedShape ${formatShape(ns)}, expected input with shape [*, ${ns.join(", ")}], but got input of shape ${formatShape(x.shape)}`);
  }
  commonBackend(op, x, weight, bias);
  const affine = (name: string, t: Tensor | null | undefined): Tensor | null => {
    if (t === null || t === undefined) return null;
    assertTensor(op, t, name);
    assertFloating(op, t, name);
    if (t.ndim !== ns.length || t.shape.some((s, i) => s !== ns[i])) {
      throw new RangeError(`${op}: expected ${name} to have the shape of normalizedShape ${formatShape(ns)}, got ${formatShape(t.shape)}`);
    }
    return t.dtype === x.dtype ? t : t.to(x.dtype);
  };
  const w = affine("weight", weight), b = affine("bias", bias);
  const cols = numelOf(ns);
  const rows = numelOf(x.shape.slice(0, lead));
  return rowNorm("NativeLayerNormBackward", x, rows, cols, eps, w, b, [rows, cols, 1]);
});

/**
 * Group normalisation (torch.nn.functional.group_norm): the C channels of x [N, C, ...] are split
 * into numGroups groups, each normalised over its channels and spatial positions; weight and bias
 * are per channel.
 */
export const groupNorm = traceable("groupNorm", function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = "groupNorm";
  assertTensor(op, x);
  assertFloating(op, x);
  checkNumber(op, "eps", eps, 0);
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input of shape [N, C, ...] with at least 2 dimensions, got shape ${formatShape(x.shape)}`);
  const C = x.shape[1];
  if (!Number.isInteger(numGroups) || numGroups <= 0) throw new RangeError(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  if (C % numGroups !== 0) {
    throw new RangeError(`${op}: expected the number of channels in the input to be divisible by numGroups, but got input of shape ${formatShape(x.shape)} and numGroups=${numGroups}`);
  }
  commonBackend(op, x, weight, bias);
  const w = channelParam(op, "weight", weight, C, x), b = channelParam(op, "bias", bias, C, x);
  const rows = x.shape[0] * numGroups;
  const cols = (C / numGroups) * numelOf(x.shape.slice(2));
  return rowNorm("NativeGroupNormBackward", x, rows, cols, eps, w, b, channelGrid(x));
});

export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with each instance's own statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Instance normalisation (torch.nn.functional.instance_norm): each channel of each sample of
 * x [N, C, ...spatial] is normalised over its spatial positions. With running statistics and
 * useInputStats, they are updated with the instance statistics averaged over the batch.
 */
export const instanceNorm = traceable("instanceNorm", function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  const op = "instanceNorm";
  assertTensor(op, x);
  assertFloating(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input of shape [N, C, ...] with at least 2 dimensions, got shape ${formatShape(x.shape)}`);
  const { runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true } = opts;
  const momentum = checkNumber(op, "momentum", opts.momentum ?? 0.1);
  const eps = checkNumber(op, "eps", opts.eps ?? 1e-5, 0);
  if ((runningMean == null) !== (runningVar == null)) {
    throw new TypeError(`${op}: runningMean and runningVar must both be tensors or both be null`);
  }
  commonBackend(op, x, runningMean, runningVar, weight, bias);
  const N = x.shape[0], C = x.shape[1], S = numelOf(x.shape.slice(2));
  const rm = runningMean ? checkRunningStat(op, "runningMean", runningMean, C, x) : null;
  const rv = runningVar ? checkRunningStat(op, "runningVar", runningVar, C, x) : null;
  if (!useInputStats) {
    if (!rm || !rv) throw new TypeError(`${op}: expected runningMean and runningVar to be given when useInputStats is false`);
    return batchNorm(x, rm, rv, weight, bias, { training: false, eps });
  }
  if (S === 1) {
    throw new RangeError(`${op}: Expected more than 1 spatial element when training, got input size ${formatShape(x.shape)}`);
  }
  const w = channelParam(op, "weight", weight, C, x), b = channelParam(op, "bias", bias, C, x);
  const out = rowNorm("NativeInstanceNormBackward", x, N * C, S, eps, w, b, [N, C, S]);
  if (rm && rv && x.numel() > 0) {
    noGrad(() => {
      const inst = reshape(x, [N, C, S]);
      updateRunning(rm, mean(mean(inst, 2), 0), momentum);
      updateRunning(rv, mean(variance(inst, 2), 0), momentum);
    });
  }
  return out;
});

// ---------------------------------------------------------------------------------------------
// local response norm

export interface LocalResponseNormOptions {
  alpha?: number;
  beta?: number;
  k?: number;
}

/**
 * Local response normalisation across channels (torch.nn.functional.local_response_norm):
 * b_c = a_c · (k + alpha/size · Σ a²)^-beta, the sum over a window of `size` channels around c
 * (size//2 before, (size−1)//2 after) with zero padding.
 */
export const localResponseNorm = traceable("localResponseNorm", function localResponseNorm(x: Tensor, size: number, opts: LocalResponseNormOptions = {}): Tensor {
  const op = "localResponseNorm";
  assertTensor(op, x);
  assertFloating(op, x);
  if (x.ndim < 3) throw new RangeError(`${op}: expected 3D or higher dimensionality input [N, C, ...], got ${x.ndim} dimensions (shape ${formatShape(x.shape)})`);
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`${op}: size must be a positive integer, got ${size}`);
  const alpha = checkNumber(op, "alpha", opts.alpha ?? 1e-4);
  const beta = checkNumber(op, "beta", opts.beta ?? 0.75);
  const k = checkNumber(op, "k", opts.k ?? 1);
  const squares = reshape(mul(x, x), channelGrid(x));
  const windowed = channelWindowSum(squares, Math.floor(size / 2), Math.floor((size - 1) / 2));
  const denom = pow(add(mul(windowed, alpha / size), k), beta);
  return div(x, reshape(denom, [...x.shape]));
});

/**
 * out[n, c, s] = Σ t[n, c + o, s] for o in −before..after (channels outside [0, C) count as zero).
 * Its gradient is the same sum with the window mirrored.
 */
function channelWindowSum(t: Tensor, before: number, after: number): Tensor {
  const [N, C, S] = t.shape;
  const tc = dense(t);
  const out = empty([N, C, S], t.dtype, t.backend);
  t.backend.fill(out.raw(), 0);
  const src = tc.raw(), dst = out.raw();
  const strides = [C * S, S, 1];
  for (let o = -before; o <= after; o++) {
    const lo = Math.max(0, -o), hi = Math.min(C, C - o);
    if (hi <= lo) continue;
    const shape = [N, hi - lo, S];
    const d: View = { ...dst, shape, strides, offset: dst.offset + lo * S };
    const s: View = { ...src, shape, strides, offset: src.offset + (lo + o) * S };
    t.backend.binary("add", d, s, d);
  }
  if (tc !== t) tc.dispose();
  return record("ChannelWindowSumBackward", [t], out, (g) => [channelWindowSum(contiguous(g), after, before)]);
}
