// convTranspose1d / 2d / 3d with torch.nn.functional semantics. A transposed convolution is the
// input-gradient of the convolution that maps its output back to its input, so the forward runs
// the backend's convBackwardData kernel and the backward runs conv (for the input) and
// convBackwardFilter (for the weight) with the roles of input and output swapped: no new kernels,
// and native runs it at conv speed. Its weight [inCh, outCh/groups, ...k] is exactly that conv's
// weight [Cout, Cin/groups, ...k], groups included, so it is passed through unchanged.

import type { ConvParams } from "../backend/backend.js";
import { isFloating, promoteTypes, type DType } from "../core/dtype.js";
import { intTuple, type IntOrTuple } from "../core/int-tuple.js";
import { checkOptions } from "../core/options.js";
import { formatShape } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { Tensor } from "../tensor/tensor.js";
import { assertTensor, commonBackend, empty } from "./util.js";
import { add, cast } from "./elementwise.js";
import { pad } from "./indexing.js";
import { contiguous, reshape, squeeze, unsqueeze } from "./view.js";
import { traceable } from "../graph/recorder.js";

export interface ConvTransposeOptions {
  stride?: IntOrTuple;
  /** Crops this many elements from both sides of each output dim (the matching conv's padding). */
  padding?: IntOrTuple;
  /** Extra elements added after each output dim (smaller than stride or dilation), to pick among the sizes a strided conv maps to one. */
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}
const OPTIONS = ["stride", "padding", "outputPadding", "groups", "dilation"] as const satisfies readonly (keyof ConvTransposeOptions)[];

/** A transposed convolution's window resolved per spatial dim. */
export interface ConvTransposeWindow {
  kernel: number[];
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
}

/** Check and resolve the window options (outputPadding against stride and dilation, as torch). */
export function resolveConvTransposeWindow(op: string, nd: number, kernelSize: IntOrTuple, opts: ConvTransposeOptions): ConvTransposeWindow {
  const kernel = intTuple(op, "kernelSize", kernelSize, nd);
  const stride = intTuple(op, "stride", opts.stride ?? 1, nd);
  const padding = intTuple(op, "padding", opts.padding ?? 0, nd, 0);
  const outputPadding = intTuple(op, "outputPadding", opts.outputPadding ?? 0, nd, 0);
  const dilation = intTuple(op, "dilation", opts.dilation ?? 1, nd);
  outputPadding.forEach((o, i) => {
    if (o >= stride[i] && o >= dilation[i]) {
      throw new RangeError(`${op}: outputPadding must be smaller than either stride or dilation in each dim, got outputPadding ${formatShape(outputPadding)}, stride ${formatShape(stride)}, dilation ${formatShape(dilation)} (dim ${i}: ${o})`);
    }
  });
  return { kernel, stride, padding, outputPadding, dilation };
}

/** The smallest output length per dim, (n−1)·s − 2p + d·(k−1) + 1 (outputPadding adds to it). */
export function convTransposeMinShape(w: ConvTransposeWindow, spatial: readonly number[]): number[] {
  return spatial.map((n, i) => (n - 1) * w.stride[i] - 2 * w.padding[i] + w.dilation[i] * (w.kernel[i] - 1) + 1);
}

/** Output length per dim: (n−1)·s − 2p + d·(k−1) + outputPadding + 1. */
export function convTransposeOutputShape(w: ConvTransposeWindow, spatial: readonly number[]): number[] {
  return convTransposeMinShape(w, spatial).map((m, i) => m + w.outputPadding[i]);
}

const dimsLabel = (nd: number): string => (nd === 1 ? "kL" : nd === 2 ? "kH, kW" : "kD, kH, kW");
const spatialLabel = (nd: number): string => (nd === 1 ? "L" : nd === 2 ? "H, W" : "D, H, W");

function convTransposeNd(op: string, nd: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvTransposeOptions = {}): Tensor {
  assertTensor(op, input);
  assertTensor(op, weight, "weight");
  checkOptions(op, opts, OPTIONS);
  const b = bias ?? null;
  if (b) assertTensor(op, b, "bias");
  const backend = commonBackend(op, input, weight, b);
  if (input.ndim !== nd + 1 && input.ndim !== nd + 2) {
    throw new RangeError(`${op}: expected ${nd + 1}-D (unbatched [C, ${spatialLabel(nd)}]) or ${nd + 2}-D (batched [N, C, ${spatialLabel(nd)}]) input, got shape ${formatShape(input.shape)}`);
  }
  if (weight.ndim !== nd + 2) {
    throw new RangeError(`${op}: weight must be ${nd + 2}-D [inChannels, outChannels/groups, ${dimsLabel(nd)}], got shape ${formatShape(weight.shape)}`);
  }
  let dtype: DType = promoteTypes(input.dtype, weight.dtype);
  if (b) dtype = promoteTypes(dtype, b.dtype);
  if (!isFloating(dtype)) {
    throw new TypeError(`${op}: input and weight must be floating-point tensors, got ${input.dtype} and ${weight.dtype}; convert them with .to("float32")`);
  }
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  const [cin, coutPerGroup] = weight.shape;
  if (cin % groups !== 0) throw new RangeError(`${op}: groups ${groups} must divide the ${cin} input channels of weight ${formatShape(weight.shape)}`);
  const unbatched = input.ndim === nd + 1;
  const xShape = unbatched ? [1, ...input.shape] : [...input.shape];
  if (xShape[1] !== cin) {
    throw new RangeError(`${op}: expected input with ${cin} channels (weight ${formatShape(weight.shape)}), got input of shape ${formatShape(input.shape)}`);
  }
  const cout = coutPerGroup * groups;
  if (b && !(b.ndim === 1 && b.shape[0] === cout)) {
    throw new RangeError(`${op}: bias must have shape [${cout}] (outChannels/groups ${coutPerGroup} × groups ${groups}), got ${formatShape(b.shape)}`);
  }
  const win = resolveConvTransposeWindow(op, nd, weight.shape.slice(2), opts);
  const spatial = xShape.slice(2);
  const outSpatial = convTransposeOutputShape(win, spatial);
  if (outSpatial.some((n) => n < 1)) {
    throw new RangeError(`${op}: output size ${formatShape(outSpatial)} is too small (input ${formatShape(input.shape)}, kernel ${formatShape(win.kernel)}, stride ${formatShape(win.stride)}, padding ${formatShape(win.padding)})`);
  }
  // The matching conv reads the output from −p to (end − outputPadding + p). Its padding after is
  // p − outputPadding; where that is negative the last elements are reached by no input, so the
  // kernel writes a shorter buffer and zeros are appended.
  const padAfter = win.padding.map((p, i) => Math.max(0, p - win.outputPadding[i]));
  const tail = win.padding.map((p, i) => Math.max(0, win.outputPadding[i] - p));
  const coreSpatial = outSpatial.map((n, i) => n - tail[i]);
  if (coreSpatial.some((n) => n < 1)) {
    throw new RangeError(`${op}: padding ${formatShape(win.padding)} crops away every element that the input reaches (output ${formatShape(outSpatial)})`);
  }
  const params: ConvParams = { kernel: win.kernel, stride: win.stride, padBefore: win.padding, padAfter, dilation: win.dilation, groups };

  const x = contiguous(cast(unbatched ? unsqueeze(input, 0) : input, dtype));
  const w = contiguous(cast(weight, dtype));
  const coreShape = [xShape[0], cout, ...coreSpatial];
  const core = empty(coreShape, dtype, backend);
  backend.convBackwardData(x.raw(), w.raw(), core.raw(), params);

  const needX = x.requiresGrad, needW = w.requiresGrad;
  const saved = [...(needW ? [x] : []), ...(needX ? [w] : [])];
  const xs = [...x.shape], ws = [...w.shape];
  let y = record(`ConvTranspose${nd}dBackward`, [x, w], core, (g, s, needs) => {
    const gc = contiguous(g);
    let gx: Tensor | null = null, gw: Tensor | null = null;
    if (needs[0]) {
      // x played the conv's output gradient: its gradient is the conv of g.
      gx = empty(xs, dtype, backend);
      backend.conv(gc.raw(), s[needW ? 1 : 0].raw(), gx.raw(), params, null);
    }
    if (needs[1]) {
      // The conv's input is g and its output gradient is x.
      gw = empty(ws, dtype, backend);
      backend.convBackwardFilter(gc.raw(), s[0].raw(), gw.raw(), params, null);
    }
    return [gx, gw];
  }, saved);
  if (tail.some((t) => t > 0)) y = pad(y, tail.slice().reverse().flatMap((t) => [0, t]));
  if (b) y = add(y, reshape(cast(b, dtype), [1, cout, ...new Array<number>(nd).fill(1)]));
  return unbatched ? squeeze(y, 0) : y;
}

/** 1-D transposed convolution: input [N, Cin, L] or [Cin, L], weight [Cin, Cout/groups, kL]. */
export const convTranspose1d = traceable("convTranspose1d", function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvTransposeOptions): Tensor {
  return convTransposeNd("convTranspose1d", 1, input, weight, bias, opts);
});

/** 2-D transposed convolution: input [N, Cin, H, W] or [Cin, H, W], weight [Cin, Cout/groups, kH, kW]. */
export const convTranspose2d = traceable("convTranspose2d", function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvTransposeOptions): Tensor {
  return convTransposeNd("convTranspose2d", 2, input, weight, bias, opts);
});

/** 3-D transposed convolution: input [N, Cin, D, H, W] or [Cin, D, H, W], weight [Cin, Cout/groups, kD, kH, kW]. */
export const convTranspose3d = traceable("convTranspose3d", function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvTransposeOptions): Tensor {
  return convTransposeNd("convTranspose3d", 3, input, weight, bias, opts);
});
