// Dropout family (torch.nn.functional.dropout, dropout1d/2d/3d, alpha_dropout,
// feature_alpha_dropout). Masks come from rand() with the given generator (the global one by
// default, so nb.manualSeed makes them reproducible); an element is kept when its uniform draw
// exceeds p, which happens with probability 1 − p. The output is x times a constant mask (plus a
// constant for alpha dropout), so the gradient is that same mask.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { rand } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { assertFloating, assertTensor, empty } from "./util.js";
import { add, mul } from "./elementwise.js";
import { traceable } from "../graph/recorder.js";

export interface DropoutOptions {
  /** Where the masks' random numbers come from (default: the global generator). */
  generator?: Generator;
}

/** SELU's −λ·α: where alpha dropout sends dropped units. */
const SELU_NEG_SATURATION = 1.7580993408473766;

function checkArgs(op: string, x: Tensor, p: number): void {
  assertTensor(op, x);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${op}: dropout probability p has to be between 0 and 1, but got ${String(p)}`);
  }
  assertFloating(op, x);
}

/**
 * A mask of `shape` in x's dtype holding `kept` with probability 1 − p and `dropped` otherwise.
 * Built in place on the uniform draw: step(u > p) gives 1 for kept, then an affine map.
 */
function mask(x: Tensor, shape: readonly number[], p: number, kept: number, dropped: number, opts: DropoutOptions): Tensor {
  const u = rand(shape, { dtype: x.dtype, device: x.device, generator: opts.generator });
  const v = u.raw();
  x.backend.paramUnary("step", v, v, [p]);
  if (kept !== 1 || dropped !== 0) x.backend.paramUnary("affine", v, v, [kept - dropped, dropped]);
  return u;
}

/** x scaled by 1/(1−p) where kept and zeroed elsewhere; the mask has `maskShape` (broadcast over x). */
function invertedDropout(x: Tensor, p: number, maskShape: readonly number[], opts: DropoutOptions): Tensor {
  // p = 1 drops everything: x·0, as torch (so inf and NaN inputs give NaN).
  if (p === 1) return mul(x, 0);
  return mul(x, mask(x, maskShape, p, 1 / (1 - p), 0, opts));
}

/**
 * Zero each element with probability p and scale the kept ones by 1/(1−p), so the expectation is
 * unchanged. Identity (x itself) when training is false or p is 0.
 */
export const dropout = traceable("dropout", function dropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkArgs("dropout", x, p);
  if (!training || p === 0 || x.numel() === 0) return x;
  return invertedDropout(x, p, x.shape, opts);
});

/** The mask shape zeroing whole channels of x: batched [N, C, 1, …] or unbatched [C, 1, …]. */
function channelMaskShape(op: string, x: Tensor, spatialDims: number): number[] {
  const batched = x.ndim === spatialDims + 2;
  if (!batched && x.ndim !== spatialDims + 1) {
    throw new RangeError(
      `${op}: expected a ${spatialDims + 1}D (unbatched [C, ...]) or ${spatialDims + 2}D (batched [N, C, ...]) input, ` +
        `got a ${x.ndim}D input of shape ${formatShape(x.shape)}`,
    );
  }
  const channelDims = batched ? 2 : 1;
  return x.shape.map((s, i) => (i < channelDims ? s : 1));
}

function channelDropout(op: string, spatialDims: number, x: Tensor, p: number, training: boolean, opts: DropoutOptions): Tensor {
  checkArgs(op, x, p);
  const maskShape = channelMaskShape(op, x, spatialDims);
  if (!training || p === 0 || x.numel() === 0) return x;
  return invertedDropout(x, p, maskShape, opts);
}

/** Zero whole channels of x [N, C, L] or [C, L] with probability p (scaling the rest by 1/(1−p)). */
export const dropout1d = traceable("dropout1d", (x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor =>
  channelDropout("dropout1d", 1, x, p, training, opts));
/** Zero whole channels of x [N, C, H, W] or [C, H, W] with probability p. */
export const dropout2d = traceable("dropout2d", (x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor =>
  channelDropout("dropout2d", 2, x, p, training, opts));
/** Zero whole channels of x [N, C, D, H, W] or [C, D, H, W] with probability p. */
export const dropout3d = traceable("dropout3d", (x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor =>
  channelDropout("dropout3d", 3, x, p, training, opts));

/**
 * Alpha dropout for SELU networks: dropped units are set to SELU's negative saturation −λα and
 * the result is transformed affinely (a·(·) + a·λα·p) so mean and variance are preserved.
 */
function alphaDropoutImpl(x: Tensor, p: number, maskShape: readonly number[], opts: DropoutOptions): Tensor {
  if (p === 1) return mul(x, 0);
  const alpha = SELU_NEG_SATURATION;
  const a = 1 / Math.sqrt((alpha * alpha * p + 1) * (1 - p));
  // kept: a·x + a·α·p; dropped: a·α·(p − 1). Gain and shift both derive from one 0/1 draw.
  const shift = mask(x, maskShape, p, 1, 0, opts);
  const gain = empty(maskShape, x.dtype, x.backend);
  x.backend.paramUnary("affine", shift.raw(), gain.raw(), [a, 0]);
  x.backend.paramUnary("affine", shift.raw(), shift.raw(), [alpha * a, alpha * a * (p - 1)]);
  return add(mul(x, gain), shift);
}

export const alphaDropout = traceable("alphaDropout", function alphaDropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkArgs("alphaDropout", x, p);
  if (!training || p === 0 || x.numel() === 0) return x;
  return alphaDropoutImpl(x, p, x.shape, opts);
});

/** Alpha dropout that drops whole channels of x [N, C, ...] (torch's feature_alpha_dropout). */
export const featureAlphaDropout = traceable("featureAlphaDropout", function featureAlphaDropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkArgs("featureAlphaDropout", x, p);
  if (x.ndim < 2) throw new RangeError(`featureAlphaDropout: expected an input of shape [N, C, ...], got shape ${formatShape(x.shape)}`);
  if (!training || p === 0 || x.numel() === 0) return x;
  return alphaDropoutImpl(x, p, x.shape.map((s, i) => (i < 2 ? s : 1)), opts);
});
