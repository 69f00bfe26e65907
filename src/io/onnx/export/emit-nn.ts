// ONNX forms of the layer ops: linear and matmul, convolution, pooling, normalisation, softmax,
// reductions and resizing. Window options are resolved by the same functions the ops use, so
// the exported geometry is the one that ran.

import { GraphValue, type GraphNode } from "../../../graph/ir.js";
import { resolveConvWindow } from "../../../ops/conv-window.js";
import { resolvePoolWindow } from "../../../ops/pool.js";
import { arg, dimArg, ExportError, tensorArg, type EmitContext, type Emitter } from "./context.js";

const spatialOf = (x: GraphValue): number => x.shape.length - 2;

function convNode(ctx: EmitContext, n: GraphNode, opType: "Conv", out: string): void {
  const x = tensorArg(n, 0), w = tensorArg(n, 1);
  const b = arg(n, 2);
  const opts = (arg(n, 3) ?? {}) as { groups?: number; stride?: number[]; padding?: number[] | string; dilation?: number[] };
  const nd = w.shape.length - 2;
  if (x.shape.length !== nd + 2) throw new ExportError(`${n.op}: unbatched input of shape [${x.shape.join(", ")}] is not exported; give a batch dim`);
  const win = resolveConvWindow(n.op, nd, w.shape.slice(2), opts as never);
  ctx.b.node(opType, [ctx.name(x), ctx.name(w), ...(b instanceof GraphValue ? [ctx.name(b)] : [])], [out], {
    kernel_shape: win.kernel, strides: win.stride, dilations: win.dilation, pads: [...win.padBefore, ...win.padAfter], group: opts.groups ?? 1,
  });
}

/** ceil_mode (and MaxPool's dilations) exist from opset 10: written only where they are set. */
function ceilAttr(ctx: EmitContext, op: string, ceil: boolean): { ceil_mode?: number } {
  if (!ceil) return {};
  if (ctx.opset < 10) throw new ExportError(`${op} with ceilMode needs opset 10 or later`);
  return { ceil_mode: 1 };
}

function maxPoolNode(ctx: EmitContext, op: string, x: string, nd: number, kernel: unknown, opts: Record<string, unknown>, out: string): void {
  const w = resolvePoolWindow(op, nd, kernel as number[], opts as never);
  const dilated = w.dilation.some((d) => d !== 1);
  if (dilated && ctx.opset < 10) throw new ExportError(`${op} with dilation needs opset 10 or later`);
  ctx.b.node("MaxPool", [x], [out], {
    kernel_shape: w.kernel, strides: w.stride, pads: [...w.padding, ...w.padding], ...ceilAttr(ctx, op, w.ceilMode),
    ...(dilated ? { dilations: w.dilation } : {}),
  });
}

function maxPool(nd: number, afterRelu = false): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0);
    if (x.shape.length !== nd + 2) throw new ExportError(`${n.op}: unbatched input of shape [${x.shape.join(", ")}] is not exported; give a batch dim`);
    const src = afterRelu ? ctx.b.node("Relu", [ctx.name(x)], 1)[0] : ctx.name(x);
    maxPoolNode(ctx, n.op, src, nd, arg(n, 1), (arg(n, 2) ?? {}) as Record<string, unknown>, ctx.out(n.outputs[0]));
  };
}

function avgPool(nd: number): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0);
    const opts = (arg(n, 2) ?? {}) as { countIncludePad?: boolean; divisorOverride?: number | null };
    if (opts.divisorOverride != null) throw new ExportError(`${n.op}: divisorOverride has no ONNX form`);
    const w = resolvePoolWindow(n.op, nd, arg(n, 1) as number[], opts as never);
    ctx.b.node("AveragePool", [ctx.name(x)], [ctx.out(n.outputs[0])], {
      kernel_shape: w.kernel, strides: w.stride, pads: [...w.padding, ...w.padding], ...ceilAttr(ctx, n.op, w.ceilMode),
      count_include_pad: opts.countIncludePad ?? true ? 1 : 0,
    });
  };
}

/** Adaptive pooling exports when every output size divides its input size (fixed windows) or is 1 (global). */
function adaptivePool(kind: "Average" | "Max"): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const nd = spatialOf(x);
    const inS = x.shape.slice(2), outS = y.shape.slice(2);
    if (outS.every((o) => o === 1)) {
      ctx.b.node(kind === "Average" ? "GlobalAveragePool" : "GlobalMaxPool", [ctx.name(x)], [ctx.out(y)]);
      return;
    }
    // Dims the output divides pool fixed windows; dims the input divides repeat each element
    // (windows of one element); others have windows of varying size, which ONNX cannot pool.
    if (inS.some((s, i) => s % outS[i] !== 0 && outS[i] % s !== 0)) {
      throw new ExportError(`${n.op}: output size [${outS.join(", ")}] and input size [${inS.join(", ")}] are not multiples of each other, so the windows vary and ONNX has no pooling for it; pick an input size that makes them multiples`);
    }
    const k = inS.map((s, i) => (s % outS[i] === 0 ? s / outS[i] : 1));
    const up = inS.map((s, i) => (s % outS[i] === 0 ? 1 : outS[i] / s));
    const poolOnly = up.every((u) => u === 1);
    const pooledOut = poolOnly ? ctx.out(y) : ctx.b.unique("pooled");
    ctx.b.node(kind === "Average" ? "AveragePool" : "MaxPool", [ctx.name(x)], [pooledOut], { kernel_shape: k, strides: k, pads: new Array<number>(2 * nd).fill(0) });
    if (poolOnly) return;
    const scales = ctx.b.initializer("scales", { shape: [nd + 2], dtype: "float32", data: Float32Array.from([1, 1, ...up]) });
    const roi = ctx.b.initializer("roi", { shape: [0], dtype: "float32", data: new Float32Array(0) });
    ctx.b.node("Resize", [pooledOut, roi, scales], [ctx.out(y)], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
  };
}

function reduceAxes(n: GraphNode): { axes: number[]; keepdim: boolean } {
  const x = tensorArg(n, 0);
  const a1 = n.args[1];
  let dims: unknown, keepdim: unknown;
  if (a1 !== null && typeof a1 === "object" && !Array.isArray(a1) && !(a1 instanceof GraphValue)) {
    dims = (a1 as { dim?: unknown }).dim;
    keepdim = (a1 as { keepdim?: unknown }).keepdim;
  } else {
    dims = a1;
    keepdim = n.args[2];
  }
  const all = [...x.shape.keys()];
  const axes = dims === undefined || dims === null ? all : ([dims].flat() as number[]).map((d) => dimArg(d, x.shape.length));
  return { axes, keepdim: keepdim === true };
}

function reduce(onnx: "ReduceSum" | "ReduceMean" | "ReduceMax" | "ReduceMin" | "ReduceProd" | "ReduceLogSumExp"): Emitter {
  return (ctx, n) => {
    const y = n.outputs[0];
    const { axes, keepdim } = reduceAxes(n);
    ctx.axesNode(onnx, ctx.operand(tensorArg(n, 0), y.dtype), axes, ctx.out(y), { keepdims: keepdim ? 1 : 0 });
  };
}

function argReduce(onnx: "ArgMax" | "ArgMin"): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const a1 = arg(n, 1);
    const dim = typeof a1 === "object" && a1 !== null ? (a1 as { dim?: number }).dim : (a1 as number | undefined);
    const keepdim = typeof a1 === "object" && a1 !== null ? (a1 as { keepdim?: boolean }).keepdim === true : arg(n, 2) === true;
    let src = ctx.name(x);
    let axis = 0;
    if (dim === undefined || dim === null) src = ctx.b.node("Reshape", [src, ctx.b.int64([-1])], 1)[0];
    else axis = dimArg(dim, x.shape.length);
    const idx = ctx.b.node(onnx, [src], 1, { axis, keepdims: keepdim ? 1 : 0 })[0];
    ctx.b.node("Cast", [idx], [ctx.out(y)], { to: 6 });
  };
}

function softmaxLike(onnx: "Softmax" | "LogSoftmax"): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0);
    const axis = dimArg(arg<number>(n, 1), x.shape.length);
    if (ctx.opset < 13 && axis !== x.shape.length - 1) {
      throw new ExportError(`${n.op} over dim ${axis} of a ${x.shape.length}-D tensor needs opset 13 or later (before 13 ONNX's ${onnx} flattens the trailing dims)`);
    }
    ctx.b.node(onnx, [ctx.name(x)], [ctx.out(n.outputs[0])], { axis });
  };
}

/** A constant of C ones or zeros, for batch norm without affine parameters. */
function filled(ctx: EmitContext, c: number, value: number): string {
  return ctx.b.initializer(value === 1 ? "ones" : "zeros", { shape: [c], dtype: "float32", data: new Float32Array(c).fill(value) });
}

function convTranspose(ctx: EmitContext, n: GraphNode): void {
  const x = tensorArg(n, 0), w = tensorArg(n, 1), b = arg(n, 2);
  const opts = (arg(n, 3) ?? {}) as { stride?: number | number[]; padding?: number | number[]; outputPadding?: number | number[]; groups?: number; dilation?: number | number[] };
  const nd = w.shape.length - 2;
  if (x.shape.length !== nd + 2) throw new ExportError(`${n.op}: unbatched input of shape [${x.shape.join(", ")}] is not exported; give a batch dim`);
  const per = (v: number | number[] | undefined, d: number): number[] => (Array.isArray(v) ? v : new Array<number>(nd).fill(v ?? d));
  const pads = per(opts.padding, 0);
  ctx.b.node("ConvTranspose", [ctx.name(x), ctx.name(w), ...(b instanceof GraphValue ? [ctx.name(b)] : [])], [ctx.out(n.outputs[0])], {
    kernel_shape: w.shape.slice(2), strides: per(opts.stride, 1), dilations: per(opts.dilation, 1), pads: [...pads, ...pads],
    output_padding: per(opts.outputPadding, 0), group: opts.groups ?? 1,
  });
}

/** min pooling is −maxPool(−x). */
function minPool(nd: number): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0);
    const pooled = ctx.b.unique("minpool");
    maxPoolNode(ctx, n.op, ctx.b.node("Neg", [ctx.name(x)], 1)[0], nd, arg(n, 1), (arg(n, 2) ?? {}) as Record<string, unknown>, pooled);
    ctx.b.node("Neg", [pooled], [ctx.out(n.outputs[0])]);
  };
}

/** torch's power-average pool: (avgPool(x^p)·|window|)^(1/p), as nabla computes it (sign·relu keeps its gradient). */
function lpPool(nd: number): Emitter {
  return (ctx, n) => {
    const x = tensorArg(n, 0), p = arg<number>(n, 1);
    const opts = (arg(n, 3) ?? {}) as { stride?: number[] | number | null; ceilMode?: boolean };
    const w = resolvePoolWindow(n.op, nd, arg(n, 2) as number[], { stride: opts.stride, ceilMode: opts.ceilMode });
    const xp = ctx.b.node("Pow", [ctx.name(x), ctx.scalar(p, x.dtype)], 1)[0];
    const a = ctx.b.node("AveragePool", [xp], 1, { kernel_shape: w.kernel, strides: w.stride, pads: new Array<number>(2 * nd).fill(0), ...ceilAttr(ctx, n.op, w.ceilMode) })[0];
    const signed = ctx.b.node("Mul", [ctx.b.node("Sign", [a], 1)[0], ctx.b.node("Relu", ctx.b.node("Abs", [a], 1), 1)[0]], 1)[0];
    const sum = ctx.b.node("Mul", [signed, ctx.scalar(w.kernel.reduce((q, k) => q * k, 1), x.dtype)], 1)[0];
    ctx.b.node("Pow", [sum, ctx.scalar(1 / p, x.dtype)], [ctx.out(n.outputs[0])]);
  };
}

/** y·weight + bias with per-channel parameters broadcast over [N, C, …]. */
function affine(ctx: EmitContext, y: string, nd: number, w: unknown, b: unknown, out: string): void {
  const perChannel = (v: GraphValue): string => ctx.b.node("Reshape", [ctx.name(v), ctx.b.int64([v.shape[0], ...new Array<number>(nd - 2).fill(1)])], 1)[0];
  let r = y;
  if (w instanceof GraphValue) r = ctx.b.node("Mul", [r, perChannel(w)], 1)[0];
  if (b instanceof GraphValue) r = ctx.b.node("Add", [r, perChannel(b)], 1)[0];
  ctx.b.node("Identity", [r], [out]);
}

export const NN_EMITTERS: Record<string, Emitter> = {
  convTranspose1d: convTranspose, convTranspose2d: convTranspose, convTranspose3d: convTranspose,
  minPool1d: minPool(1), minPool2d: minPool(2), minPool3d: minPool(3),
  lpPool1d: lpPool(1), lpPool2d: lpPool(2),
  instanceNorm: (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const opts = (arg(n, 1) ?? {}) as { runningMean?: unknown; runningVar?: unknown; weight?: unknown; bias?: unknown; useInputStats?: boolean; eps?: number };
    const C = x.shape[1];
    const w = opts.weight instanceof GraphValue ? ctx.name(opts.weight) : filled(ctx, C, 1);
    const b = opts.bias instanceof GraphValue ? ctx.name(opts.bias) : filled(ctx, C, 0);
    const eps = { float: opts.eps ?? 1e-5 };
    if (opts.useInputStats === false) {
      if (!(opts.runningMean instanceof GraphValue) || !(opts.runningVar instanceof GraphValue)) throw new ExportError("instanceNorm without input statistics needs running statistics");
      ctx.b.node("BatchNormalization", [ctx.name(x), w, b, ctx.name(opts.runningMean), ctx.name(opts.runningVar)], [ctx.out(y)], { epsilon: eps });
      return;
    }
    ctx.b.node("InstanceNormalization", [ctx.name(x), w, b], [ctx.out(y)], { epsilon: eps });
  },
  groupNorm: (ctx, n) => {
    // Normalise [N, G, rest] per (n, g) with InstanceNormalization, then the per-channel affine.
    const x = tensorArg(n, 0), y = n.outputs[0];
    const G = arg<number>(n, 1);
    const eps = typeof arg(n, 4) === "number" ? arg<number>(n, 4) : 1e-5;
    const grouped = ctx.b.node("Reshape", [ctx.name(x), ctx.b.int64([0, G, -1])], 1)[0];
    const normed = ctx.b.node("InstanceNormalization", [grouped, filled(ctx, G, 1), filled(ctx, G, 0)], 1, { epsilon: { float: eps } })[0];
    const back = ctx.b.node("Reshape", [normed, ctx.b.node("Shape", [ctx.name(x)], 1)[0]], 1)[0];
    affine(ctx, back, x.shape.length, arg(n, 2), arg(n, 3), ctx.out(y));
  },
  linear: (ctx, n) => {
    const x = tensorArg(n, 0), w = tensorArg(n, 1), b = arg(n, 2), y = n.outputs[0];
    if (x.shape.length === 2) {
      ctx.b.node("Gemm", [ctx.name(x), ctx.name(w), ...(b instanceof GraphValue ? [ctx.name(b)] : [])], [ctx.out(y)], { transB: 1 });
      return;
    }
    const wt = ctx.b.node("Transpose", [ctx.name(w)], 1, { perm: [1, 0] })[0];
    if (!(b instanceof GraphValue)) {
      ctx.b.node("MatMul", [ctx.name(x), wt], [ctx.out(y)]);
      return;
    }
    ctx.b.node("Add", [ctx.b.node("MatMul", [ctx.name(x), wt], 1)[0], ctx.name(b)], [ctx.out(y)]);
  },
  matmul: (ctx, n) => ctx.b.node("MatMul", [ctx.name(tensorArg(n, 0)), ctx.name(tensorArg(n, 1))], [ctx.out(n.outputs[0])]),
  mm: (ctx, n) => NN_EMITTERS.matmul(ctx, n),
  bmm: (ctx, n) => NN_EMITTERS.matmul(ctx, n),
  conv1d: (ctx, n) => convNode(ctx, n, "Conv", ctx.out(n.outputs[0])),
  conv2d: (ctx, n) => convNode(ctx, n, "Conv", ctx.out(n.outputs[0])),
  conv3d: (ctx, n) => convNode(ctx, n, "Conv", ctx.out(n.outputs[0])),
  conv2dReluMaxPool2d: (ctx, n) => {
    const conv = ctx.b.unique("conv");
    convNode(ctx, n, "Conv", conv);
    const r = ctx.b.node("Relu", [conv], 1)[0];
    maxPoolNode(ctx, n.op, r, 2, arg(n, 4), (arg(n, 5) ?? {}) as Record<string, unknown>, ctx.out(n.outputs[0]));
  },
  maxPool1d: maxPool(1), maxPool2d: maxPool(2), maxPool3d: maxPool(3),
  reluMaxPool1d: maxPool(1, true), reluMaxPool2d: maxPool(2, true), reluMaxPool3d: maxPool(3, true),
  avgPool1d: avgPool(1), avgPool2d: avgPool(2), avgPool3d: avgPool(3),
  adaptiveAvgPool1d: adaptivePool("Average"), adaptiveAvgPool2d: adaptivePool("Average"), adaptiveAvgPool3d: adaptivePool("Average"),
  adaptiveMaxPool1d: adaptivePool("Max"), adaptiveMaxPool2d: adaptivePool("Max"), adaptiveMaxPool3d: adaptivePool("Max"),
  globalAvgPool2d: adaptivePool("Average"),
  batchNorm: (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const [rm, rv, w, b] = [arg(n, 1), arg(n, 2), arg(n, 3), arg(n, 4)];
    const opts = (arg(n, 5) ?? {}) as { training?: boolean; eps?: number };
    if (opts.training || !(rm instanceof GraphValue) || !(rv instanceof GraphValue)) {
      throw new ExportError("batchNorm with batch statistics (training, or no running statistics) has no ONNX inference form; export a model in eval mode with running statistics");
    }
    const C = x.shape[1];
    ctx.b.node("BatchNormalization", [
      ctx.name(x), w instanceof GraphValue ? ctx.name(w) : filled(ctx, C, 1), b instanceof GraphValue ? ctx.name(b) : filled(ctx, C, 0), ctx.name(rm), ctx.name(rv),
    ], [ctx.out(y)], { epsilon: { float: opts.eps ?? 1e-5 } });
  },
  layerNorm: (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const shape = [arg<number | number[]>(n, 1)].flat();
    const [w, b] = [arg(n, 2), arg(n, 3)];
    const eps = typeof arg(n, 4) === "number" ? arg<number>(n, 4) : 1e-5;
    if (ctx.opset < 17) throw new ExportError("layerNorm needs opset 17 (LayerNormalization)");
    const size = shape.reduce((a, c) => a * c, 1);
    ctx.b.node("LayerNormalization", [
      ctx.name(x),
      w instanceof GraphValue ? ctx.name(w) : ctx.b.initializer("ones", { shape, dtype: "float32", data: new Float32Array(size).fill(1) }),
      ...(b instanceof GraphValue ? [ctx.name(b)] : []),
    ], [ctx.out(y)], { axis: -shape.length, epsilon: { float: eps } });
  },
  localResponseNorm: (ctx, n) => {
    const opts = (arg(n, 2) ?? {}) as { alpha?: number; beta?: number; k?: number };
    ctx.b.node("LRN", [ctx.name(tensorArg(n, 0))], [ctx.out(n.outputs[0])], {
      size: arg<number>(n, 1), alpha: { float: opts.alpha ?? 1e-4 }, beta: { float: opts.beta ?? 0.75 }, bias: { float: opts.k ?? 1 },
    });
  },
  softmax: softmaxLike("Softmax"),
  logSoftmax: softmaxLike("LogSoftmax"),
  sum: reduce("ReduceSum"), mean: reduce("ReduceMean"), max: reduce("ReduceMax"), min: reduce("ReduceMin"), prod: reduce("ReduceProd"),
  logsumexp: reduce("ReduceLogSumExp"),
  argmax: argReduce("ArgMax"), argmin: argReduce("ArgMin"),
  interpolate: (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    const opts = (arg(n, 1) ?? {}) as { mode?: string; alignCorners?: boolean };
    const mode = opts.mode ?? "nearest";
    if (ctx.opset < 11) throw new ExportError("interpolate needs opset 11 or later (Resize with coordinate modes)");
    const scales = y.shape.map((s, i) => (i < 2 ? 1 : s / x.shape[i]));
    const scalesName = ctx.b.initializer("scales", { shape: [scales.length], dtype: "float32", data: Float32Array.from(scales) });
    const roi = ctx.b.initializer("roi", { shape: [0], dtype: "float32", data: new Float32Array(0) });
    const attrs: Record<string, string | number | { float: number }> = mode === "nearest"
      ? { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" }
      : { mode: mode === "bicubic" ? "cubic" : "linear", coordinate_transformation_mode: opts.alignCorners ? "align_corners" : "pytorch_half_pixel" };
    if (mode === "bicubic") attrs.cubic_coeff_a = { float: -0.75 };
    ctx.b.node("Resize", [ctx.name(x), roi, scalesName], [ctx.out(y)], attrs);
  },
};
