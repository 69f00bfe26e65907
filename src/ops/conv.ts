// conv1d / conv2d / conv3d with torch.nn.functional semantics (stride, padding as numbers, per-dim
// arrays, "same" or "valid", dilation, groups, unbatched input) and their gradients with respect
// to input, weight and bias. The window (stride, padding, dilation) resolves in conv-window.ts.

import type { ConvParams } from "../backend/backend.js";
import { isFloating, promoteTypes, type DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { assertTensor, commonBackend, empty } from "./util.js";
import { cast } from "./elementwise.js";
import { sum } from "./reduce.js";
import { contiguous, squeeze, unsqueeze } from "./view.js";
import { convOutputShape, resolveConvWindow, windowSpan, type ConvWindowOptions } from "./conv-window.js";
import { traceable } from "../graph/recorder.js";

export { convOutputSize, type ConvPadding } from "./conv-window.js";

export interface ConvOptions extends ConvWindowOptions {
  groups?: number;
}

const dimsLabel = (nd: number): string => (nd === 1 ? "kL" : nd === 2 ? "kH, kW" : "kD, kH, kW");

/** Check shapes and options and resolve them into the kernel's per-dim geometry. */
function resolve(
  op: string, nd: number, xShape: readonly number[], inputShape: readonly number[], wShape: readonly number[],
  biasShape: readonly number[] | null, opts: ConvOptions,
): { params: ConvParams; outShape: number[] } {
  if (wShape.length !== nd + 2) {
    throw new RangeError(`${op}: weight must be ${nd + 2}-D [outChannels, inChannels/groups, ${dimsLabel(nd)}], got shape ${formatShape(wShape)}`);
  }
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups <= 0) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  const [cout, cinPerGroup] = wShape;
  if (cout % groups !== 0) {
    throw new RangeError(`${op}: groups ${groups} must divide the ${cout} output channels (weight ${formatShape(wShape)})`);
  }
  const cin = xShape[1];
  if (cin % groups !== 0) {
    throw new RangeError(`${op}: groups ${groups} must divide the ${cin} input channels (input of shape ${formatShape(inputShape)})`);
  }
  if (cin !== cinPerGroup * groups) {
    throw new RangeError(`${op}: expected input with ${cinPerGroup * groups} channels (weight ${formatShape(wShape)}, groups ${groups}), got input of shape ${formatShape(inputShape)}`);
  }
  if (biasShape && !(biasShape.length === 1 && biasShape[0] === cout)) {
    throw new RangeError(`${op}: bias must have shape [${cout}] (one value per output channel of weight ${formatShape(wShape)}), got ${formatShape(biasShape)}`);
  }
  const { kernel, stride, dilation, padBefore, padAfter } = resolveConvWindow(op, nd, wShape.slice(2), opts);
  const spatial = xShape.slice(2);
  const padded = spatial.map((n, i) => n + padBefore[i] + padAfter[i]);
  const window = { kernel, stride, dilation, padBefore, padAfter };
  const span = windowSpan(window);
  if (span.some((s, i) => s > padded[i])) {
    const dil = dilation.some((d) => d !== 1) ? ` (with dilation ${formatShape(dilation)})` : "";
    throw new RangeError(`${op}: kernel size ${formatShape(span)}${dil} is larger than the padded input ${formatShape(padded)} (input ${formatShape(inputShape)}, padding ${formatShape(padBefore)})`);
  }
  const outSpatial = convOutputShape(window, spatial);
  return {
    params: { kernel, stride, padBefore, padAfter, dilation, groups },
    outShape: [xShape[0], cout, ...outSpatial],
  };
}

/** A convolution's checked operands (cast, contiguous, batched) and its kernel geometry. */
export interface PreparedConv {
  x: Tensor;
  w: Tensor;
  bb: Tensor | null;
  params: ConvParams;
  outShape: number[];
  dtype: DType;
  backend: Tensor["backend"];
  unbatched: boolean;
}

export function prepareConv(op: string, nd: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvOptions = {}): PreparedConv {
  assertTensor(op, input);
  assertTensor(op, weight, "weight");
  if (bias !== undefined && bias !== null) assertTensor(op, bias, "bias");
  const b = bias ?? null;
  const backend = commonBackend(op, input, weight, b);
  if (input.ndim !== nd + 1 && input.ndim !== nd + 2) {
    const names = nd === 1 ? "L" : nd === 2 ? "H, W" : "D, H, W";
    throw new RangeError(`${op}: expected ${nd + 1}-D (unbatched [C, ${names}]) or ${nd + 2}-D (batched [N, C, ${names}]) input, got shape ${formatShape(input.shape)}`);
  }
  let dtype: DType = promoteTypes(input.dtype, weight.dtype);
  if (b) dtype = promoteTypes(dtype, b.dtype);
  if (!isFloating(dtype)) {
    throw new TypeError(`${op}: input and weight must be floating-point tensors, got ${input.dtype} and ${weight.dtype}; convert them with .to("float32")`);
  }
  const unbatched = input.ndim === nd + 1;
  const { params, outShape } = resolve(
    op, nd, unbatched ? [1, ...input.shape] : input.shape, input.shape, weight.shape, b ? b.shape : null, opts,
  );
  const x = contiguous(cast(unbatched ? unsqueeze(input, 0) : input, dtype));
  const w = contiguous(cast(weight, dtype));
  const bb = b ? cast(b, dtype) : null;
  return { x, w, bb, params, outShape, dtype, backend, unbatched };
}

/**
 * Record the backward node of a convolution whose result is `out`: convGrad turns out's gradient
 * into the gradient of the convolution's own output (the identity for a plain conv; unpooling
 * for a fused conv → relu → max pool), given the `extra` tensors saved for it.
 */
export function recordConv(name: string, c: PreparedConv, out: Tensor, convGrad: (g: Tensor, extra: Tensor[]) => Tensor, extra: Tensor[] = []): Tensor {
  const { x, w, bb, params, outShape, dtype, backend } = c;
  const xShape = [...x.shape], wShape = [...w.shape];
  const needX = x.requiresGrad, needW = w.requiresGrad;
  const saved = [...(needW ? [x] : []), ...(needX ? [w] : []), ...extra];
  const convSaved = saved.length - extra.length;
  const reduceDims = outShape.map((_, i) => i).filter((i) => i !== 1);
  return record(name, [x, w, bb], out, (gOut, s, needs) => {
    const g = convGrad(gOut, s.slice(convSaved));
    const sx = needW ? s[0] : null;
    const sw = needX ? s[needW ? 1 : 0] : null;
    const gc = needs[0] || needs[1] ? (g.isContiguous() ? g : contiguousCopy(g)) : g;
    let gx: Tensor | null = null, gw: Tensor | null = null;
    if (needs[0] && sw) {
      gx = empty(xShape, dtype, backend);
      backend.convBackwardData(gc.raw(), sw.raw(), gx.raw(), params);
    }
    // The bias gradient comes with the filter's (one pass over gy) when both are wanted.
    let gb: Tensor | null = null;
    if (needs[1] && sx) {
      gw = empty(wShape, dtype, backend);
      if (needs[2]) gb = empty([wShape[0]], dtype, backend);
      backend.convBackwardFilter(sx.raw(), gc.raw(), gw.raw(), params, gb ? gb.raw() : null);
    }
    if (needs[2] && !gb) gb = sum(g, reduceDims);
    return [gx, gw, gb];
  }, saved);
}

function convNd(op: string, nd: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvOptions = {}): Tensor {
  const c = prepareConv(op, nd, input, weight, bias, opts);
  const out = empty(c.outShape, c.dtype, c.backend);
  c.backend.conv(c.x.raw(), c.w.raw(), out.raw(), c.params, c.bb ? c.bb.raw() : null);
  const y = recordConv(`Conv${nd}dBackward`, c, out, (g) => g);
  return c.unbatched ? squeeze(y, 0) : y;
}

function contiguousCopy(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, t.backend);
  t.backend.copy(t.raw(), out.raw());
  return out;
}

/** 1-D convolution: input [N, C, L] or [C, L], weight [Cout, C/groups, kL]. */
export const conv1d = traceable("conv1d", function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  return convNd("conv1d", 1, input, weight, bias, opts);
});

/** 2-D convolution: input [N, C, H, W] or [C, H, W], weight [Cout, C/groups, kH, kW]. */
export const conv2d = traceable("conv2d", function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  return convNd("conv2d", 2, input, weight, bias, opts);
});

/** 3-D convolution: input [N, C, D, H, W] or [C, D, H, W], weight [Cout, C/groups, kD, kH, kW]. */
export const conv3d = traceable("conv3d", function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  return convNd("conv3d", 3, input, weight, bias, opts);
});

