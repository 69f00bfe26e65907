// Layer ONNX operators: Conv, Gemm, MatMul, BatchNormalization, pooling, Softmax/LogSoftmax, LRN.
// ONNX's explicit per-side pads become nabla's symmetric padding, or a Pad first when they differ.

import type { Tensor } from "../../../tensor/tensor.js";
import { conv1d, conv2d, conv3d } from "../../../ops/conv.js";
import { convTranspose1d, convTranspose2d, convTranspose3d } from "../../../ops/conv-transpose.js";
import { linear, matmul } from "../../../ops/linalg.js";
import { add, mul } from "../../../ops/elementwise.js";
import { batchNorm, layerNorm, localResponseNorm } from "../../../ops/norm.js";
import { pixelShuffle } from "../../../ops/pixel-shuffle.js";
import { avgPool1d, avgPool2d, avgPool3d, maxPool1d, maxPool2d, maxPool3d } from "../../../ops/pool.js";
import { softmax, logSoftmax } from "../../../ops/softmax.js";
import { mean, max } from "../../../ops/reduce.js";
import { pad } from "../../../ops/indexing.js";
import { reshape, transpose } from "../../../ops/view.js";
import type { Attributes } from "./attributes.js";
import { axisOf } from "./host.js";
import { UnsupportedOnnx, type OpHandler } from "./registry.js";

/** Per-side pads for a window op: explicit pads, or what auto_pad asks for on this input. */
function windowPads(a: Attributes, spatial: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): [number[], number[]] {
  const nd = spatial.length;
  const autoPad = a.string("auto_pad", "NOTSET");
  if (autoPad === "NOTSET") {
    const p = a.ints("pads") ?? new Array<number>(2 * nd).fill(0);
    return [p.slice(0, nd), p.slice(nd)];
  }
  if (autoPad === "VALID") return [new Array<number>(nd).fill(0), new Array<number>(nd).fill(0)];
  const before: number[] = [], after: number[] = [];
  spatial.forEach((L, i) => {
    const out = Math.ceil(L / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - L);
    const small = Math.floor(total / 2);
    before.push(autoPad === "SAME_UPPER" ? small : total - small);
    after.push(autoPad === "SAME_UPPER" ? total - small : small);
  });
  return [before, after];
}

/** x with asymmetric pads applied (value `fill`), and the symmetric padding left for the op. */
function symmetric(x: Tensor, before: number[], after: number[], fill: number): [Tensor, number[]] {
  if (before.every((b, i) => b === after[i])) return [x, before];
  const torchPads: number[] = [];
  for (let i = before.length - 1; i >= 0; i--) torchPads.push(before[i], after[i]);
  return [pad(x, torchPads, { value: fill }), before.map(() => 0)];
}

const CONV = [conv1d, conv2d, conv3d];
const CONV_T = [convTranspose1d, convTranspose2d, convTranspose3d];
const MAX_POOL = [maxPool1d, maxPool2d, maxPool3d];
const AVG_POOL = [avgPool1d, avgPool2d, avgPool3d];

function checkRank(nd: number, op: string): void {
  if (nd < 1 || nd > 3) throw new UnsupportedOnnx(`${op} over ${nd} spatial dims (nabla has 1-D to 3-D)`);
}

export const NN_OPS: Record<string, OpHandler> = {
  Conv: {
    run: ([x, w, b], a) => {
      const nd = w!.ndim - 2;
      checkRank(nd, "Conv");
      const kernel = w!.shape.slice(2), strides = a.ints("strides") ?? kernel.map(() => 1), dil = a.ints("dilations") ?? kernel.map(() => 1);
      const [before, after] = windowPads(a, x!.shape.slice(2), kernel, strides, dil);
      const [xp, padding] = symmetric(x!, before, after, 0);
      return CONV[nd - 1](xp, w!, b, { stride: strides, padding, dilation: dil, groups: a.int("group", 1) });
    },
  },
  ConvTranspose: {
    check: (a) => {
      if (a.has("output_shape")) throw new UnsupportedOnnx("ConvTranspose with output_shape (give pads and output_padding)");
      const p = a.ints("pads");
      if (p && p.some((v, i) => v !== p[(i + p.length / 2) % p.length])) throw new UnsupportedOnnx("ConvTranspose with asymmetric pads");
      if (a.string("auto_pad", "NOTSET") !== "NOTSET") throw new UnsupportedOnnx("ConvTranspose with auto_pad");
    },
    run: ([x, w, b], a) => {
      const nd = w!.ndim - 2;
      checkRank(nd, "ConvTranspose");
      const p = a.ints("pads") ?? new Array<number>(2 * nd).fill(0);
      return CONV_T[nd - 1](x!, w!, b, {
        stride: a.ints("strides") ?? 1, padding: p.slice(0, nd), dilation: a.ints("dilations") ?? 1,
        outputPadding: a.ints("output_padding") ?? 0, groups: a.int("group", 1),
      });
    },
  },
  Gemm: {
    run: ([A, B, C], a) => {
      const transA = a.int("transA", 0), transB = a.int("transB", 0), alpha = a.float("alpha", 1), beta = a.float("beta", 1);
      const left = transA ? transpose(A!, 0, 1) : A!;
      // linear(x, W, b) is x·Wᵀ + b: transB=1 is its own layout.
      let y = linear(left, transB ? B! : transpose(B!, 0, 1), alpha === 1 && beta === 1 ? C : null);
      if (alpha !== 1) y = mul(y, alpha);
      if (C && !(alpha === 1 && beta === 1)) y = add(y, beta === 1 ? C : mul(C, beta));
      return y;
    },
  },
  MatMul: { run: ([A, B]) => matmul(A!, B!) },
  BatchNormalization: {
    check: (a) => {
      if (a.int("training_mode", 0) === 1) throw new UnsupportedOnnx("BatchNormalization with training_mode=1");
    },
    run: ([x, scale, bias, m, v], a) => [batchNorm(x!, m!, v!, scale, bias, { training: false, eps: a.float("epsilon", 1e-5) })],
  },
  MaxPool: {
    check: (a) => {
      if (a.int("storage_order", 0) !== 0) throw new UnsupportedOnnx("MaxPool with storage_order=1");
    },
    run: ([x], a) => {
      const kernel = a.ints("kernel_shape")!;
      checkRank(kernel.length, "MaxPool");
      const strides = a.ints("strides") ?? kernel.map(() => 1), dil = a.ints("dilations") ?? kernel.map(() => 1);
      const [before, after] = windowPads(a, x!.shape.slice(2), kernel, strides, dil);
      const [xp, padding] = symmetric(x!, before, after, -Infinity);
      return [MAX_POOL[kernel.length - 1](xp, kernel, { stride: strides, padding, dilation: dil, ceilMode: a.int("ceil_mode", 0) === 1 }), null];
    },
  },
  AveragePool: {
    run: ([x], a) => {
      const kernel = a.ints("kernel_shape")!;
      checkRank(kernel.length, "AveragePool");
      const strides = a.ints("strides") ?? kernel.map(() => 1);
      const [before, after] = windowPads(a, x!.shape.slice(2), kernel, strides, kernel.map(() => 1));
      const include = a.int("count_include_pad", 0) === 1;
      if (!before.every((b, i) => b === after[i]) && !include) throw new UnsupportedOnnx("AveragePool with asymmetric pads and count_include_pad=0");
      const [xp, padding] = symmetric(x!, before, after, 0);
      return AVG_POOL[kernel.length - 1](xp, kernel, { stride: strides, padding, ceilMode: a.int("ceil_mode", 0) === 1, countIncludePad: include });
    },
  },
  GlobalAveragePool: { run: ([x]) => mean(x!, [...Array(x!.ndim - 2).keys()].map((i) => i + 2), true) },
  GlobalMaxPool: { run: ([x]) => max(x!, [...Array(x!.ndim - 2).keys()].map((i) => i + 2), true) },
  Softmax: { run: ([x], a, ctx) => softmaxLike(softmax, x!, a, ctx.opset) },
  LogSoftmax: { run: ([x], a, ctx) => softmaxLike(logSoftmax, x!, a, ctx.opset) },
  LayerNormalization: {
    check: (a) => {
      if (a.int("stash_type", 1) !== 1) throw new Error("LayerNormalization with stash_type other than 1 (float)");
    },
    run: ([x, scale, bias], a) => {
      const axis = axisOf(a.int("axis", -1), x!.ndim);
      return [layerNorm(x!, x!.shape.slice(axis), scale, bias, a.float("epsilon", 1e-5)), null, null];
    },
  },
  DepthToSpace: {
    check: (a) => {
      if (a.string("mode", "DCR") !== "CRD") throw new Error(`DepthToSpace mode "${a.string("mode", "DCR")}" (nabla's pixelShuffle is CRD)`);
    },
    run: ([x], a) => pixelShuffle(x!, a.int("blocksize", 1)),
  },
  LRN: {
    run: ([x], a) => localResponseNorm(x!, a.int("size", 1), { alpha: a.float("alpha", 1e-4), beta: a.float("beta", 0.75), k: a.float("bias", 1) }),
  },
};

/** Before opset 13 Softmax flattens dims [axis, …) into one (default axis 1); from 13 it is per-axis (default −1). */
function softmaxLike(f: (x: Tensor, dim: number) => Tensor, x: Tensor, a: Attributes, opset: number): Tensor {
  if (opset >= 13) return f(x, axisOf(a.int("axis", -1), x.ndim));
  const axis = axisOf(a.int("axis", 1), x.ndim);
  if (axis === x.ndim - 1) return f(x, axis);
  const outer = x.shape.slice(0, axis).reduce((p, c) => p * c, 1);
  return reshape(f(reshape(x, [outer, -1]), 1), x.shape);
}
