// interpolate (torch.nn.functional.interpolate): resampling of the spatial dims of [N, C, ...]
// inputs by nearest, (bi/tri)linear or bicubic interpolation, following torch's CPU kernels.
// Every mode is separable, so each spatial dim is resampled in turn: a few indexSelect gathers
// with precomputed int32 source indices, each scaled by its per-position weight and summed. The
// gradient then comes from autograd (indexSelect's backward is indexAdd), exactly as torch's.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { assertFloating, assertTensor } from "./util.js";
import { add, mul } from "./elementwise.js";
import { indexSelect } from "./indexing.js";
import { clone } from "./view.js";
import { traceable } from "../graph/recorder.js";

export type InterpolateMode = "nearest" | "linear" | "bilinear" | "bicubic" | "trilinear";

export interface InterpolateOptions {
  /** Output spatial size (one number for every spatial dim, or one per dim). */
  size?: number | readonly number[];
  /** Multiplier of each spatial size; the output size is floor(in · scaleFactor). */
  scaleFactor?: number | readonly number[];
  /** Default "nearest" (torch's legacy nearest: source = floor(dst · in/out)). */
  mode?: InterpolateMode;
  /** Map corner pixel centres onto each other (interpolating modes only; default false). */
  alignCorners?: boolean;
}

export const INTERPOLATE_OPTIONS = optionNames<InterpolateOptions>({ size: 1, scaleFactor: 1, mode: 1, alignCorners: 1 });
const INTERPOLATE_ADVICE: Readonly<Record<string, string>> = { scale_factor: "scaleFactor", align_corners: "alignCorners" };

/** Input rank each mode requires (nearest takes any of 3, 4, 5). */
const MODE_RANK: Readonly<Record<InterpolateMode, number | null>> = { nearest: null, linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };

/** torch's bicubic coefficient. */
const CUBIC_A = -0.75;

const f32 = Math.fround;
/** torch computes coordinates in the input's opmath type: float for float32, double for float64. */
type Round = (v: number) => number;
const exact: Round = (v) => v;

/** Source indices and weights for one spatial dim: taps[k][o] is the k-th source of output o. */
interface Taps {
  index: Int32Array[];
  weight: Float64Array[] | null;
}

function perDim(op: string, name: string, v: number | readonly number[], dims: number, integer: boolean): number[] {
  const list = typeof v === "number" ? new Array<number>(dims).fill(v) : Array.isArray(v) ? [...(v as number[])] : null;
  if (!list || list.length !== dims || list.some((s) => typeof s !== "number" || !Number.isFinite(s) || (integer && !Number.isInteger(s)))) {
    throw new RangeError(`${op}: ${name} must be ${integer ? "an integer" : "a number"} or ${dims} of them (one per spatial dim), got ${describe(v)}`);
  }
  return list;
}

/**
 * torch's area_pixel_compute_scale in float32 (opmath for float): with alignCorners the corners
 * map, (in−1)/(out−1); else 1/scaleFactor when one was given (recompute_scale_factor unset), else in/out.
 */
function pixelScale(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined, r: Round): number {
  if (alignCorners) return outSize > 1 ? r((inSize - 1) / (outSize - 1)) : 0;
  return scale !== undefined && scale > 0 ? r(1 / scale) : r(inSize / outSize);
}

function nearestTaps(inSize: number, outSize: number, scale: number | undefined): Taps {
  // torch's nearest_idx works in float whatever the dtype.
  const s = pixelScale(inSize, outSize, false, scale, f32);
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) idx[o] = Math.min(Math.floor(f32(f32(o) * s)), inSize - 1);
  return { index: [idx], weight: null };
}

function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined, r: Round): Taps {
  const s = pixelScale(inSize, outSize, alignCorners, scale, r);
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize), w1 = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let real = alignCorners ? r(s * o) : r(s * (o + 0.5) - 0.5);
    if (real < 0) real = 0;
    const lo = Math.floor(real);
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    const l1 = Math.min(Math.max(r(real - lo), 0), 1);
    w1[o] = l1;
    w0[o] = r(1 - l1);
  }
  return { index: [i0, i1], weight: [w0, w1] };
}

function cubicTaps(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined, r: Round): Taps {
  const s = pixelScale(inSize, outSize, alignCorners, scale, r);
  const index = [0, 1, 2, 3].map(() => new Int32Array(outSize));
  const weight = [0, 1, 2, 3].map(() => new Float64Array(outSize));
  const A = CUBIC_A;
  const near = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
  const far = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
  for (let o = 0; o < outSize; o++) {
    // Unlike linear, cubic does not clamp the source coordinate at 0; the taps are clamped instead.
    const real = alignCorners ? r(s * o) : r(s * (o + 0.5) - 0.5);
    const lo = Math.floor(real);
    const t = r(real - lo);
    const w = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      index[k][o] = Math.min(Math.max(lo - 1 + k, 0), inSize - 1);
      weight[k][o] = w[k];
    }
  }
  return { index, weight };
}

/** x resampled along `dim` by the given taps: Σ_k w_k ⊙ x.indexSelect(dim, i_k). */
function resampleDim(x: Tensor, dim: number, taps: Taps): Tensor {
  const device = x.backend.name;
  // Weights broadcast along `dim`: shape [out, 1, …, 1] with one 1 per later dim.
  const wShape = [taps.index[0].length, ...new Array<number>(x.ndim - 1 - dim).fill(1)];
  let out: Tensor | null = null;
  for (let k = 0; k < taps.index.length; k++) {
    const gathered = indexSelect(x, dim, tensor(taps.index[k], { dtype: "int32", device }));
    if (!taps.weight) return gathered;
    const term = mul(gathered, tensor(taps.weight[k], { dtype: x.dtype, shape: wShape, device }));
    out = out ? add(out, term) : term;
  }
  return out!;
}

/** torch.nn.functional.interpolate on an [N, C, *spatial] input. */
export const interpolate = traceable("interpolate", function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = "interpolate";
  assertTensor(op, x);
  checkOptions(op, options, INTERPOLATE_OPTIONS, INTERPOLATE_ADVICE);
  const opts = options ?? {};
  const mode = opts.mode ?? "nearest";
  if (!(mode in MODE_RANK)) throw new RangeError(`${op}: mode must be one of ${Object.keys(MODE_RANK).join(", ")}, got ${describe(mode)}`);
  assertFloating(op, x);
  const rank = MODE_RANK[mode];
  if (rank !== null ? x.ndim !== rank : x.ndim < 3 || x.ndim > 5) {
    const want = rank !== null ? `a ${rank}-d input [N, C, ${rank - 2 === 1 ? "L" : rank - 2 === 2 ? "H, W" : "D, H, W"}]` : "a 3-d, 4-d or 5-d input [N, C, ...]";
    throw new RangeError(`${op}: mode "${mode}" takes ${want}, got ${x.ndim}-d shape [${x.shape.join(", ")}]`);
  }
  if (opts.alignCorners !== undefined && mode === "nearest") {
    throw new RangeError(`${op}: alignCorners can only be set with the interpolating modes (linear, bilinear, bicubic, trilinear), got mode "nearest"`);
  }
  const alignCorners = opts.alignCorners ?? false;
  if (typeof alignCorners !== "boolean") throw new TypeError(`${op}: alignCorners must be a boolean, got ${describe(alignCorners)}`);
  const hasSize = opts.size !== undefined && opts.size !== null;
  const hasScale = opts.scaleFactor !== undefined && opts.scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new RangeError(`${op}: give exactly one of size and scaleFactor, got ${hasSize ? "both" : "neither"}`);
  }
  const dims = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | undefined)[];
  if (hasSize) {
    outSizes = perDim(op, "size", opts.size!, dims, true);
    if (outSizes.some((s) => s <= 0)) throw new RangeError(`${op}: size must be positive, got ${describe(opts.size)}`);
    scales = outSizes.map(() => undefined);
  } else {
    scales = perDim(op, "scaleFactor", opts.scaleFactor!, dims, false);
    if (scales.some((s) => s! <= 0)) throw new RangeError(`${op}: scaleFactor must be positive, got ${describe(opts.scaleFactor)}`);
    // torch: floor(in · scale) in double.
    outSizes = inSizes.map((n, i) => Math.floor(n * scales[i]!));
    if (outSizes.some((s) => s <= 0)) {
      throw new RangeError(`${op}: scaleFactor ${describe(opts.scaleFactor)} gives an empty output for input size [${inSizes.join(", ")}]`);
    }
  }
  if (inSizes.some((s) => s === 0)) throw new RangeError(`${op}: input spatial sizes must be positive, got shape [${x.shape.join(", ")}]`);
  const r: Round = x.dtype === "float64" ? exact : f32;
  let y = x;
  for (let i = 0; i < dims; i++) {
    // torch 1.13's forward copies a dim whose size is unchanged, whatever the scale factor, for
    // the linear modes only; nearest and bicubic still apply a scale factor ≠ 1 there (checked
    // against torch, e.g. scaleFactor 1.1 on size 7).
    if (mode !== "nearest" && mode !== "bicubic" && inSizes[i] === outSizes[i]) continue;
    const taps = mode === "nearest" ? nearestTaps(inSizes[i], outSizes[i], scales[i])
      : mode === "bicubic" ? cubicTaps(inSizes[i], outSizes[i], alignCorners, scales[i], r)
        : linearTaps(inSizes[i], outSizes[i], alignCorners, scales[i], r);
    y = resampleDim(y, i + 2, taps);
  }
  // A new tensor always, as torch's, never the input itself.
  return y === x ? clone(x) : y;
});
