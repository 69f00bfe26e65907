// A convolution's window: kernel, stride, dilation and the padding on each side of each spatial
// dim, resolved once from torch's spellings (an int, a tuple, "same", "valid"). The conv layers,
// the conv ops, convOutputSize and nb.explain all resolve through resolveConvWindow, so padding
// means the same thing everywhere.

import { intTuple, type IntOrTuple } from "../core/int-tuple.js";

export type ConvPadding = IntOrTuple | "same" | "valid";

export interface ConvWindowOptions {
  stride?: IntOrTuple;
  /** Zeros added on both sides of each spatial dim; "same" keeps the size (stride 1 only), "valid" adds none. */
  padding?: ConvPadding;
  dilation?: IntOrTuple;
}

export interface ConvWindow {
  kernel: number[];
  stride: number[];
  dilation: number[];
  padBefore: number[];
  padAfter: number[];
}

/** Validate a convolution's window options for `nd` spatial dims and resolve them per dim and side. */
export function resolveConvWindow(owner: string, nd: number, kernelSize: IntOrTuple, opts: ConvWindowOptions): ConvWindow {
  const kernel = intTuple(owner, "kernelSize", kernelSize, nd);
  const stride = intTuple(owner, "stride", opts.stride ?? 1, nd);
  const dilation = intTuple(owner, "dilation", opts.dilation ?? 1, nd);
  const padding = opts.padding ?? 0;
  let padBefore: number[], padAfter: number[];
  if (padding === "valid") {
    padBefore = new Array<number>(nd).fill(0);
    padAfter = padBefore.slice();
  } else if (padding === "same") {
    if (stride.some((s) => s !== 1)) {
      throw new RangeError(`${owner}: padding "same" is not supported for strided convolutions (stride [${stride.join(", ")}]); give the padding explicitly`);
    }
    // Total padding d·(k−1); an odd total puts the extra element after (right/bottom), as torch.
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    padBefore = total.map((t) => Math.floor(t / 2));
    padAfter = total.map((t, i) => t - padBefore[i]);
  } else if (typeof padding === "string") {
    throw new RangeError(`${owner}: padding must be a non-negative integer, an array of ${nd} of them, "same" or "valid", got ${JSON.stringify(padding)}`);
  } else {
    padBefore = intTuple(owner, "padding", padding, nd, 0);
    padAfter = padBefore.slice();
  }
  return { kernel, stride, dilation, padBefore, padAfter };
}

/** The window's extent in input elements per dim: d·(k − 1) + 1. */
export const windowSpan = (w: ConvWindow): number[] => w.kernel.map((k, i) => w.dilation[i] * (k - 1) + 1);

/** Output length per spatial dim: floor((n + before + after − d·(k − 1) − 1) / s) + 1. */
export function convOutputShape(w: ConvWindow, spatial: readonly number[]): number[] {
  const span = windowSpan(w);
  return spatial.map((n, i) => Math.floor((n + w.padBefore[i] + w.padAfter[i] - span[i]) / w.stride[i]) + 1);
}

/**
 * Length of a convolution's (or pooling window's) output along one dim:
 * floor((n + 2p − d·(k − 1) − 1) / s) + 1. Arrays give one length per dim. "valid" is p = 0;
 * "same" keeps n (stride 1).
 */
export function convOutputSize(inputSize: number, kernelSize: number, opts?: { stride?: number; padding?: number | "same" | "valid"; dilation?: number }): number;
export function convOutputSize(inputSize: readonly number[], kernelSize: IntOrTuple, opts?: ConvWindowOptions): number[];
export function convOutputSize(inputSize: number | readonly number[], kernelSize: IntOrTuple, opts: ConvWindowOptions = {}): number | number[] {
  const op = "convOutputSize";
  const sizes = typeof inputSize === "number" ? [inputSize] : [...inputSize];
  sizes.forEach((n) => {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${op}: inputSize must be a non-negative integer, got ${n}`);
  });
  const out = convOutputShape(resolveConvWindow(op, sizes.length, kernelSize, opts), sizes);
  return typeof inputSize === "number" ? out[0] : out;
}
