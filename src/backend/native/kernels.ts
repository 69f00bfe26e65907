// The native backend's kernels: each one decides whether the C++ addon takes the call (float32
// data, in the layouts the addon handles) or the cpu backend's kernel does (other dtypes, rare
// layouts, and the kernels not written natively yet). Both work on the same JavaScript typed
// arrays, so handing a call to either costs nothing. docs/native.md lists which is which.

import type { AvgPoolParams, Backend, BinaryOp, ConvParams, LossReduction, ParamUnaryOp, RecurrentParams, ReduceOp, UnaryOp, View, WindowParams } from "../backend.js";
import type { TypedArray } from "../../core/dtype.js";
import { isDense, numelOf } from "../../core/shape.js";
import type { NativeAddon } from "./addon.js";
import { BINARY, BINARY_PREDICATES, PARAM, REDUCE, UNARY, UNARY_BOOL_OUT } from "../addon-abi/codes.js";
import { ARG_REDUCE, INT32_BINARY, INT32_REDUCE } from "../addon-abi/codes.js";
import { begin, end, num, nums, view } from "../addon-abi/encode.js";

const buf = (v: View): TypedArray => v.buf as TypedArray;
const f32 = (...views: View[]): boolean => views.every((v) => v.dtype === "float32");
const dense = (...views: View[]): boolean => views.every(isDense);

/** Whether two views' typed arrays overlap in memory (the addon refuses an index it would overwrite). */
function sharesMemory(a: View, b: View): boolean {
  const x = buf(a), y = buf(b);
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/** Window geometry as the addon reads it: per dim kernel, stride, padBefore, padAfter, dilation. */
function windowNumbers(p: WindowParams): void {
  num(p.kernel.length);
  for (let i = 0; i < p.kernel.length; i++) nums([p.kernel[i], p.stride[i], p.padBefore[i], p.padAfter[i], p.dilation[i]]);
}

function convNumbers(p: ConvParams): void {
  num(p.kernel.length);
  num(p.groups);
  for (let i = 0; i < p.kernel.length; i++) nums([p.kernel[i], p.stride[i], p.padBefore[i], p.padAfter[i], p.dilation[i]]);
}

/** pooledHeight, pooledWidth, spatialScale: the head of every RoI kernel's numbers. */
function roiGeometry(p: { pooledHeight: number; pooledWidth: number; spatialScale: number }): void {
  nums([p.pooledHeight, p.pooledWidth, p.spatialScale]);
}

/** The kernels of a Backend, native where the addon handles the call and `cpu`'s otherwise. */
export function nativeKernels(addon: NativeAddon, cpu: Backend): Omit<Backend, "name" | "syncReadable" | "gcManaged" | "alloc" | "fromHost" | "free" | "readSync" | "read"> {
  return {
    copy(x, out) {
      begin(); view(x, 1); view(out, 2);
      addon.copy(end(), buf(x), buf(out));
    },

    fill(out, value) {
      begin(); view(out, 1); num(value);
      addon.fill(end(), buf(out));
    },

    unary(op: UnaryOp, x, out) {
      if (x.dtype !== "float32" || !(out.dtype === "float32" || (out.dtype === "bool" && UNARY_BOOL_OUT.has(op)))) return cpu.unary(op, x, out);
      begin(); num(UNARY[op]); view(x, 1); view(out, 2);
      addon.unary(end(), buf(x), buf(out));
    },

    paramUnary(op: ParamUnaryOp, x, out, params) {
      if (!f32(x, out)) return cpu.paramUnary(op, x, out, params);
      // elu's scale defaults to 1 and step's threshold to 0, as on the cpu backend.
      const p0 = params[0] ?? 0;
      const p1 = params[1] ?? (op === "elu" ? 1 : 0);
      begin(); num(PARAM[op]); num(p0); num(p1); view(x, 1); view(out, 2);
      addon.paramUnary(end(), buf(x), buf(out));
    },

    binary(op: BinaryOp, a, b, out) {
      const int32 = a.dtype === "int32" && b.dtype === "int32" && INT32_BINARY.has(op);
      if (!(int32 || f32(a, b)) || out.dtype !== (BINARY_PREDICATES.has(op) ? "bool" : int32 ? "int32" : "float32")) return cpu.binary(op, a, b, out);
      begin(); num(BINARY[op]); view(a, 1); view(b, 2); view(out, 3);
      addon.binary(end(), buf(a), buf(b), buf(out));
    },

    where(cond, a, b, out) {
      if (cond.dtype !== "bool" || !f32(a, b, out)) return cpu.where(cond, a, b, out);
      begin(); view(cond, 1); view(a, 2); view(b, 3); view(out, 4);
      addon.where(end(), buf(cond), buf(a), buf(b), buf(out));
    },

    reduce(op: ReduceOp, x, axes, out) {
      // Empty inputs keep the cpu kernel's errors and identities.
      const int32 = x.dtype === "int32" && out.dtype === "int32" && INT32_REDUCE.has(op);
      if (!(int32 || f32(x, out)) || numelOf(x.shape) === 0) return cpu.reduce(op, x, axes, out);
      begin(); num(REDUCE[op]); num(axes.length); nums(axes); view(x, 1); view(out, 2);
      addon.reduce(end(), buf(x), buf(out));
    },

    argReduce(op, x, axis, out) {
      // A zero-size axis keeps the cpu kernel's error.
      if (out.dtype !== "int32" || !(x.shape[axis] > 0)) return cpu.argReduce(op, x, axis, out);
      begin(); num(ARG_REDUCE[op]); num(axis); view(x, 1); view(out, 2);
      addon.argReduce(end(), buf(x), buf(out));
    },

    matmul(a, b, out) {
      if (!f32(a, b, out)) return cpu.matmul(a, b, out);
      begin(); view(a, 1); view(b, 2); view(out, 3);
      addon.matmul(end(), buf(a), buf(b), buf(out));
    },

    conv(x, w, out, p, bias) {
      if (!f32(x, w, out) || !dense(x, w, out) || (bias && bias.dtype !== "float32")) return cpu.conv(x, w, out, p, bias);
      begin(); convNumbers(p); view(x, 1); view(w, 2); view(out, 3);
      num(bias ? 1 : 0);
      if (bias) view(bias, 4);
      if (bias) addon.conv(end(), buf(x), buf(w), buf(out), buf(bias));
      else addon.conv(end(), buf(x), buf(w), buf(out));
    },

    convReluMaxPool(x, w, bias, p, pooled, indices, pool) {
      const twoByTwo = pool.kernel.length === 2 && [pool.kernel, pool.stride].every((v) => v[0] === 2 && v[1] === 2) &&
        [...pool.padBefore, ...pool.padAfter].every((v) => v === 0) && pool.dilation.every((v) => v === 1);
      if (!twoByTwo || !f32(x, w, pooled) || indices.dtype !== "int32" || !dense(x, w, pooled, indices) || (bias && bias.dtype !== "float32")) return false;
      begin(); convNumbers(p); view(x, 1); view(w, 2); view(pooled, 3);
      num(bias ? 1 : 0);
      if (bias) view(bias, 4);
      view(indices, bias ? 5 : 4);
      return bias
        ? addon.convReluMaxPool(end(), buf(x), buf(w), buf(pooled), buf(bias), buf(indices))
        : addon.convReluMaxPool(end(), buf(x), buf(w), buf(pooled), buf(indices));
    },

    convBackwardData(gy, w, gx, p) {
      if (!f32(gy, w, gx) || !dense(gy, w, gx)) return cpu.convBackwardData(gy, w, gx, p);
      begin(); convNumbers(p); view(gx, 1); view(w, 2); view(gy, 3);
      addon.convBackwardData(end(), buf(gx), buf(w), buf(gy));
    },

    convBackwardFilter(x, gy, gw, p, gb) {
      if (!f32(x, gy, gw) || !dense(x, gy, gw) || (gb && gb.dtype !== "float32")) return cpu.convBackwardFilter(x, gy, gw, p, gb);
      begin(); convNumbers(p); view(x, 1); view(gw, 2); view(gy, 3);
      num(gb ? 1 : 0);
      if (gb) view(gb, 4);
      if (gb) addon.convBackwardFilter(end(), buf(x), buf(gw), buf(gy), buf(gb));
      else addon.convBackwardFilter(end(), buf(x), buf(gw), buf(gy));
    },

    maxPool(x, out, indices, p, afterRelu) {
      if (!f32(x, out) || indices.dtype !== "int32" || !dense(x, out, indices) || !poolRank(x, out)) return cpu.maxPool(x, out, indices, p, afterRelu);
      begin(); num(0); num(afterRelu ? 1 : 0); windowNumbers(p); view(x, 1); view(out, 2); view(indices, 3);
      addon.pool(end(), buf(x), buf(out), buf(indices));
    },

    maxPoolBackward(gy, indices, gx) {
      if (!f32(gy, gx) || indices.dtype !== "int32" || !dense(gy, gx, indices) || !poolRank(gx, gy)) return cpu.maxPoolBackward(gy, indices, gx);
      begin(); num(gx.shape.length - 2); view(gy, 1); view(indices, 2); view(gx, 3);
      addon.maxPoolBackward(end(), buf(gy), buf(indices), buf(gx));
    },

    avgPool(x, out, p) {
      if (!f32(x, out) || !dense(x, out) || !poolRank(x, out) || !Number.isFinite(p.divisorOverride ?? 0)) return cpu.avgPool(x, out, p);
      begin(); num(1); windowNumbers(p); avgNumbers(p); view(x, 1); view(out, 2);
      addon.pool(end(), buf(x), buf(out));
    },

    avgPoolBackward(gy, gx, p) {
      if (!f32(gy, gx) || !dense(gy, gx) || !poolRank(gx, gy) || !Number.isFinite(p.divisorOverride ?? 0)) return cpu.avgPoolBackward(gy, gx, p);
      begin(); num(1); windowNumbers(p); avgNumbers(p); view(gy, 1); view(gx, 2);
      addon.poolBackward(end(), buf(gy), buf(gx));
    },

    adaptiveAvgPool(x, out) {
      if (!f32(x, out) || !dense(x, out) || !poolRank(x, out)) return cpu.adaptiveAvgPool(x, out);
      begin(); num(2); num(x.shape.length - 2); view(x, 1); view(out, 2);
      addon.pool(end(), buf(x), buf(out));
    },

    adaptiveAvgPoolBackward(gy, gx) {
      if (!f32(gy, gx) || !dense(gy, gx) || !poolRank(gx, gy)) return cpu.adaptiveAvgPoolBackward(gy, gx);
      begin(); num(2); num(gx.shape.length - 2); view(gy, 1); view(gx, 2);
      addon.poolBackward(end(), buf(gy), buf(gx));
    },

    adaptiveMaxPool(x, out, indices) {
      if (!f32(x, out) || indices.dtype !== "int32" || !dense(x, out, indices) || !poolRank(x, out)) return cpu.adaptiveMaxPool(x, out, indices);
      begin(); num(3); num(x.shape.length - 2); view(x, 1); view(out, 2); view(indices, 3);
      addon.pool(end(), buf(x), buf(out), buf(indices));
    },

    softmax(x, axis, out, log) {
      if (!f32(x, out)) return cpu.softmax(x, axis, out, log);
      begin(); num(axis); num(log ? 1 : 0); view(x, 1); view(out, 2);
      addon.softmax(end(), buf(x), buf(out));
    },

    softmaxBackward(y, gy, axis, gx, log) {
      if (!f32(y, gy, gx)) return cpu.softmaxBackward(y, gy, axis, gx, log);
      begin(); num(axis); num(log ? 1 : 0); view(y, 1); view(gy, 2); view(gx, 3);
      addon.softmaxBackward(end(), buf(y), buf(gy), buf(gx));
    },

    moments(x, rows, cols, eps, mean, rstd) {
      if (!f32(x, mean, rstd) || !dense(x) || numelOf(x.shape) !== rows * cols) return cpu.moments(x, rows, cols, eps, mean, rstd);
      begin(); nums([rows, cols, eps]); view(x, 1); view(mean, 2); view(rstd, 3);
      addon.moments(end(), buf(x), buf(mean), buf(rstd));
    },

    channelMoments(x, mean, variance) {
      if (!f32(x, mean, variance) || !dense(x) || x.shape.length < 2) return cpu.channelMoments(x, mean, variance);
      begin(); view(x, 1); view(mean, 2); view(variance, 3);
      addon.channelMoments(end(), buf(x), buf(mean), buf(variance));
    },

    batchNormApply(x, mean, rstd, weight, bias, out) {
      if (!f32(x, mean, rstd, out) || (weight && !f32(weight)) || (bias && !f32(bias)) || !dense(x, out) || x.shape.length < 2) {
        return cpu.batchNormApply(x, mean, rstd, weight, bias, out);
      }
      const w = weight ?? x, b = bias ?? x; // placeholders for absent operands (never read)
      begin(); view(x, 1); view(mean, 2); view(rstd, 3);
      optional(weight, 4); optional(bias, 5); view(out, 6);
      addon.batchNormApply(end(), buf(x), buf(mean), buf(rstd), buf(w), buf(b), buf(out));
    },

    batchNormBackward(gy, x, mean, rstd, weight, gx, gWeight, gBias) {
      if (!f32(gy, x, mean, rstd, gx) || (weight && !f32(weight)) || (gWeight && !f32(gWeight)) || (gBias && !f32(gBias)) ||
          !dense(gy, x, gx) || x.shape.length < 2) {
        return cpu.batchNormBackward(gy, x, mean, rstd, weight, gx, gWeight, gBias);
      }
      begin(); view(gy, 1); view(x, 2); view(mean, 3); view(rstd, 4);
      optional(weight, 5); view(gx, 6); optional(gWeight, 7); optional(gBias, 8);
      addon.batchNormBackward(end(), buf(gy), buf(x), buf(mean), buf(rstd), buf(weight ?? x), buf(gx), buf(gWeight ?? x), buf(gBias ?? x));
    },

    indexSelect(x, axis, index, out) {
      if (index.dtype !== "int32" || x.dtype !== out.dtype) return cpu.indexSelect(x, axis, index, out);
      begin(); num(axis); view(x, 1); view(index, 2); view(out, 3);
      addon.indexSelect(end(), buf(x), buf(index), buf(out));
    },

    indexAdd(out, axis, index, src) {
      if (index.dtype !== "int32" || out.dtype !== src.dtype || out.dtype === "bool") return cpu.indexAdd(out, axis, index, src);
      begin(); num(axis); view(out, 1); view(index, 2); view(src, 3);
      addon.indexAdd(end(), buf(out), buf(index), buf(src));
    },

    gather(x, axis, index, out) {
      if (index.dtype !== "int32" || x.dtype !== out.dtype || sharesMemory(out, index)) return cpu.gather(x, axis, index, out);
      begin(); num(axis); view(x, 1); view(index, 2); view(out, 3);
      addon.gather(end(), buf(x), buf(index), buf(out));
    },

    scatterAdd(out, axis, index, src) {
      if (index.dtype !== "int32" || out.dtype !== src.dtype || out.dtype === "bool" || sharesMemory(out, index)) {
        return cpu.scatterAdd(out, axis, index, src);
      }
      begin(); num(axis); view(out, 1); view(index, 2); view(src, 3);
      addon.scatterAdd(end(), buf(out), buf(index), buf(src));
    },

    random(out, dist, seed, offset) {
      // float64 draws keep the cpu kernel: its Math.log/cos/sin are the reference to the last bit.
      if (out.dtype !== "float32" || !isDense(out)) return cpu.random(out, dist, seed, offset);
      begin();
      num(dist === "normal" ? 1 : 0);
      nums([Number(seed & 0xffffffffn), Number((seed >> 32n) & 0xffffffffn), Number(offset & 0xffffffffn), Number((offset >> 32n) & 0xffffffffn)]);
      view(out, 1);
      addon.random(end(), buf(out));
    },

    // Fused entries: callers (src/optim, src/nn/loss.ts) check the layout rules before calling.
    adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, p) {
      begin();
      nums([p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.eps, p.weightDecay, 1 - p.lr * p.weightDecay, p.stepSize, p.bias2Sqrt]);
      nums([p.decoupled ? 1 : 0, p.amsgrad ? 1 : 0, p.maximize ? 1 : 0]);
      view(param, 1); view(grad, 2); view(expAvg, 3); view(expAvgSq, 4);
      if (p.amsgrad && maxExpAvgSq) view(maxExpAvgSq, 5);
      addon.adamStep(end(), buf(param), buf(grad), buf(expAvg), buf(expAvgSq), buf(maxExpAvgSq ?? param));
    },

    sgdStep(param, grad, momentumBuffer, p) {
      begin();
      nums([-p.lr, p.momentum, 1 - p.dampening, p.weightDecay]);
      nums([p.nesterov ? 1 : 0, p.maximize ? 1 : 0, p.firstStep ? 1 : 0, momentumBuffer ? 1 : 0]);
      view(param, 1); view(grad, 2);
      if (momentumBuffer) view(momentumBuffer, 3);
      addon.sgdStep(end(), buf(param), buf(grad), buf(momentumBuffer ?? param));
    },

    crossEntropy(logits, target, ignoreIndex, reduction, out, logSumExp) {
      begin(); num(ignoreIndex); num(REDUCTION[reduction]); view(logits, 1); view(target, 2); view(logSumExp, 3); view(out, 4);
      addon.crossEntropy(end(), buf(logits), buf(target), buf(logSumExp), buf(out));
    },

    crossEntropyBackward(logits, target, logSumExp, ignoreIndex, reduction, gy, gx) {
      begin(); num(ignoreIndex); num(REDUCTION[reduction]); view(logits, 1); view(target, 2); view(logSumExp, 3); view(gy, 4); view(gx, 5);
      addon.crossEntropyBackward(end(), buf(logits), buf(target), buf(logSumExp), buf(gy), buf(gx));
    },

    // Recurrent layers (native/src/recurrent.cc). Declined (false: the caller runs the composite
    // ops; there is no cpu entry to hand them to) unless every operand is contiguous float32 and no
    // output shares memory with another operand. Sizes that do not fit together throw.
    recurrentForward(p, xProj, whh, bhh, h0, c0, hs, cs, saved) {
      if (!recurrentOperandsFit([xProj, whh, bhh, h0, c0], [hs, cs, saved])) return false;
      begin(); recurrentHeader(p);
      view(xProj, 1); view(whh, 2); optional(bhh, 3); view(h0, 4); optional(c0, 5); view(hs, 6); optional(cs, 7); view(saved, 8);
      addon.recurrentForward(end(), buf(xProj), buf(whh), buf(bhh ?? whh), buf(h0), buf(c0 ?? h0), buf(hs), buf(cs ?? hs), buf(saved));
      return true;
    },

    recurrentBackward(p, whh, bhh, h0, c0, hs, cs, saved, gHs, gCs, gXProj, gWhh, gBhh, gH0, gC0) {
      if (!recurrentOperandsFit([whh, bhh, h0, c0, hs, cs, saved, gHs, gCs], [gXProj, gWhh, gBhh, gH0, gC0])) return false;
      begin(); recurrentHeader(p);
      view(whh, 1); optional(bhh, 2); view(h0, 3); optional(c0, 4); view(hs, 5); optional(cs, 6); view(saved, 7);
      view(gHs, 8); optional(gCs, 9); view(gXProj, 10); view(gWhh, 11); optional(gBhh, 12); view(gH0, 13); optional(gC0, 14);
      addon.recurrentBackward(
        end(), buf(whh), buf(bhh ?? whh), buf(h0), buf(c0 ?? h0), buf(hs), buf(cs ?? hs), buf(saved),
        buf(gHs), buf(gCs ?? gHs), buf(gXProj), buf(gWhh), buf(gBhh ?? gWhh), buf(gH0), buf(gC0 ?? gH0),
      );
      return true;
    },

    // Detection kernels (native/src/detection.cc): contiguous float32 operands only; anything else
    // is declined and src/detection/ runs its JavaScript kernels.
    nms(boxes, scores, iouThreshold, keep) {
      if (!f32(boxes, scores) || !dense(boxes, scores, keep)) return -1;
      begin(); num(iouThreshold); view(boxes, 1); view(scores, 2); view(keep, 3);
      return addon.nms(end(), buf(boxes), buf(scores), buf(keep));
    },

    roiAlign(x, rois, p, out) {
      if (!f32(x, rois, out) || !dense(x, rois, out)) return false;
      begin(); roiGeometry(p); num(p.samplingRatio); num(p.aligned ? 1 : 0); view(x, 1); view(rois, 2); view(out, 3);
      addon.roiAlign(end(), buf(x), buf(rois), buf(out));
      return true;
    },

    roiAlignBackward(gy, rois, p, gx) {
      if (!f32(gy, rois, gx) || !dense(gy, rois, gx)) return false;
      begin(); roiGeometry(p); num(p.samplingRatio); num(p.aligned ? 1 : 0); view(gy, 1); view(rois, 2); view(gx, 3);
      addon.roiAlignBackward(end(), buf(gy), buf(rois), buf(gx));
      return true;
    },

    roiPool(x, rois, p, out, argmax) {
      if (!f32(x, rois, out) || !dense(x, rois, out, argmax)) return false;
      begin(); roiGeometry(p); view(x, 1); view(rois, 2); view(out, 3); view(argmax, 4);
      addon.roiPool(end(), buf(x), buf(rois), buf(out), buf(argmax));
      return true;
    },

    roiPoolBackward(gy, rois, argmax, gx) {
      if (!f32(gy, rois, gx) || !dense(gy, rois, argmax, gx)) return false;
      begin(); view(gy, 1); view(rois, 2); view(argmax, 3); view(gx, 4);
      addon.roiPoolBackward(end(), buf(gy), buf(rois), buf(argmax), buf(gx));
      return true;
    },
  };
}

const RECURRENT_CELL: Record<RecurrentParams["cell"], number> = { rnnTanh: 0, rnnRelu: 1, lstm: 2, gru: 3 };

/** The numbers both recurrent entries start with: cell, reverse, T and the batch sizes. */
function recurrentHeader(p: RecurrentParams): void {
  num(RECURRENT_CELL[p.cell] ?? -1); num(p.reverse ? 1 : 0); num(p.batchSizes.length); nums(p.batchSizes);
}

/** Contiguous float32 operands, and outputs whose memory no other operand touches (empty views aside). */
function recurrentOperandsFit(inputs: (View | null)[], outputs: (View | null)[]): boolean {
  const all = [...inputs, ...outputs].filter((v): v is View => v !== null);
  if (!all.every((v) => v.dtype === "float32" && isDense(v))) return false;
  const live = all.filter((v) => numelOf(v.shape) > 0);
  const firstOutput = live.length - outputs.filter((v) => v !== null && numelOf(v.shape) > 0).length;
  for (let i = firstOutput; i < live.length; i++) {
    for (let j = 0; j < live.length; j++) if (j !== i && sharesMemory(live[i], live[j])) return false;
  }
  return true;
}

const REDUCTION: Record<LossReduction, number> = { none: 0, sum: 1, mean: 2 };

/** Pooling operands [N, C, ...] with 1 to 3 spatial dims (others get the cpu kernel's error). */
function poolRank(a: View, b: View): boolean {
  const nd = a.shape.length - 2;
  return nd >= 1 && nd <= 3 && b.shape.length === a.shape.length;
}

function avgNumbers(p: AvgPoolParams): void {
  num(p.countIncludePad ? 1 : 0);
  num(p.divisorOverride ?? 0);
}

/** An optional operand: a presence flag, then the view when present. */
function optional(v: View | null, slot: number): void {
  if (!v) {
    num(0);
    return;
  }
  num(1);
  view(v, slot);
}
