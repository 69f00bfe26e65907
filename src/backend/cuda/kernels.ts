// The cuda backend's kernels: each call goes to the addon's own kernels, cuBLAS or cuDNN when it
// is of a kind they take, and otherwise to the cpu backend's kernel on host copies (host.ts) —
// other dtypes, convolutions or GEMMs without cuDNN / cuBLAS, and arguments the cpu kernel will
// reject with its own message. Kernels that need dense operands (convolution, pooling,
// normalisation) get contiguous device copies of strided ones. docs/cuda.md lists which is which.

import type { AvgPoolParams, Backend, BinaryOp, ConvParams, ParamUnaryOp, ReduceOp, UnaryOp, View, WindowParams } from "../backend.js";
import type { DType } from "../../core/dtype.js";
import { contiguousStrides, isDense, numelOf } from "../../core/shape.js";
import { BINARY, PARAM, REDUCE, UNARY } from "../addon-abi/codes.js";
import { begin, end, num, nums, view } from "../addon-abi/encode.js";
import type { CudaAddon, CudaInfo, DeviceBuffer } from "./addon.js";
import { onHost } from "./host.js";
import { addConvBias, convBiasGrad } from "../conv-bias.js";
import { reluAfterMaxPool } from "../relu-pool.js";

export type CudaKernels = Omit<Backend, "name" | "syncReadable" | "gcManaged" | "alloc" | "fromHost" | "free" | "readSync" | "read">;

export const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

const buf = (v: View): DeviceBuffer => v.buf as DeviceBuffer;
const isFloat = (v: View): boolean => v.dtype === "float32" || v.dtype === "float64";
/** All views one float dtype. */
const sameFloat = (...views: (View | null)[]): boolean => {
  const first = views.find((v) => v !== null);
  return !!first && isFloat(first) && views.every((v) => v === null || v.dtype === first.dtype);
};

/** Pooling operands [N, C, ...] with 1 to 3 spatial dims and matching N, C. */
function poolShapes(a: View, b: View): boolean {
  const nd = a.shape.length - 2;
  return nd >= 1 && nd <= 3 && b.shape.length === a.shape.length && a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1];
}

function windowNumbers(p: WindowParams): void {
  num(p.kernel.length);
  for (let i = 0; i < p.kernel.length; i++) nums([p.kernel[i], p.stride[i], p.padBefore[i], p.padAfter[i], p.dilation[i]]);
}

function avgNumbers(p: AvgPoolParams): void {
  num(p.countIncludePad ? 1 : 0);
  num(p.divisorOverride ?? 0);
}

function convNumbers(p: ConvParams): void {
  num(p.kernel.length);
  num(p.groups);
  for (let i = 0; i < p.kernel.length; i++) nums([p.kernel[i], p.stride[i], p.padBefore[i], p.padAfter[i], p.dilation[i]]);
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

/** The window geometry the pooling kernels take: finite divisor, positive sizes. */
function windowOk(p: WindowParams, nd: number): boolean {
  const dims = [p.kernel, p.stride, p.padBefore, p.padAfter, p.dilation];
  if (dims.some((d) => d.length !== nd)) return false;
  return p.kernel.every((k, i) => k >= 1 && p.stride[i] >= 1 && p.dilation[i] >= 1 && p.padBefore[i] >= 0 && p.padAfter[i] >= 0);
}

export function cudaKernels(a: CudaAddon, info: CudaInfo, cpu: Backend): CudaKernels {
  /** A contiguous, uninitialised device view of v's shape and dtype (freed by the caller). */
  const scratchLike = (v: View): View => ({
    buf: a.alloc(numelOf(v.shape) * ITEM_BYTES[v.dtype], false),
    dtype: v.dtype,
    shape: v.shape,
    strides: contiguousStrides(v.shape),
    offset: 0,
  });

  const copy = (x: View, out: View): void => {
    begin(); view(x, 1); view(out, 2);
    a.copy(end(), buf(x), buf(out));
  };

  /**
   * Run `kernel` on dense operands: strided inputs are copied to contiguous scratch first, strided
   * outputs are written to scratch and copied into place after.
   */
  const withDense = (ins: (View | null)[], outs: (View | null)[], kernel: (ins: (View | null)[], outs: (View | null)[]) => void): void => {
    const temps: DeviceBuffer[] = [];
    const dense = (v: View | null, isInput: boolean): View | null => {
      if (!v || isDense(v)) return v;
      const t = scratchLike(v);
      temps.push(buf(t));
      if (isInput) copy(v, t);
      return t;
    };
    const dIns = ins.map((v) => dense(v, true));
    const dOuts = outs.map((v) => dense(v, false));
    try {
      kernel(dIns, dOuts);
      outs.forEach((v, i) => {
        if (v && dOuts[i] !== v) copy(dOuts[i]!, v);
      });
    } finally {
      // Queued work that still reads a scratch buffer runs before any reuse (one stream).
      for (const t of temps) a.free(t);
    }
  };

  /** The cpu kernel on host copies: views listed with whether the kernel writes them. */
  const host = (name: string, operands: [View | null, boolean][], kernel: (v: (View | null)[]) => void): void =>
    onHost(a, name, operands.map((o) => o[0]), operands.map((o) => o[1]), kernel);

  const kernels: CudaKernels = {
    copy,

    fill(out, value) {
      begin(); view(out, 1); num(value);
      a.fill(end(), buf(out));
    },

    unary(op: UnaryOp, x, out) {
      begin(); num(UNARY[op]); view(x, 1); view(out, 2);
      a.unary(end(), buf(x), buf(out));
    },

    paramUnary(op: ParamUnaryOp, x, out, params) {
      // elu's scale defaults to 1 and step's threshold to 0, as on the cpu backend.
      const p0 = params[0] ?? 0;
      const p1 = params[1] ?? (op === "elu" ? 1 : 0);
      begin(); num(PARAM[op]); num(p0); num(p1); view(x, 1); view(out, 2);
      a.paramUnary(end(), buf(x), buf(out));
    },

    binary(op: BinaryOp, x, y, out) {
      begin(); num(BINARY[op]); view(x, 1); view(y, 2); view(out, 3);
      a.binary(end(), buf(x), buf(y), buf(out));
    },

    where(cond, x, y, out) {
      if (cond.dtype !== "bool" || x.dtype !== out.dtype || y.dtype !== out.dtype) {
        return host("where", [[cond, false], [x, false], [y, false], [out, true]], ([c, p, q, o]) => cpu.where(c!, p!, q!, o!));
      }
      begin(); view(cond, 1); view(x, 2); view(y, 3); view(out, 4);
      a.where(end(), buf(cond), buf(x), buf(y), buf(out));
    },

    reduce(op: ReduceOp, x, axes, out) {
      // Empty inputs keep the cpu kernel's identities and errors.
      if (numelOf(x.shape) === 0) return host("reduce", [[x, false], [out, true]], ([p, o]) => cpu.reduce(op, p!, axes, o!));
      begin(); num(REDUCE[op]); num(axes.length); nums(axes); view(x, 1); view(out, 2);
      a.reduce(end(), buf(x), buf(out));
    },

    argReduce(op, x, axis, out) {
      if (!(axis >= 0 && axis < x.shape.length) || x.shape[axis] === 0 || out.dtype !== "int32") {
        return host("argReduce", [[x, false], [out, true]], ([p, o]) => cpu.argReduce(op, p!, axis, o!));
      }
      begin(); num(op === "argmax" ? 1 : 0); num(axis); view(x, 1); view(out, 2);
      a.argReduce(end(), buf(x), buf(out));
    },

    matmul(x, y, out) {
      if (!info.cublas || !sameFloat(x, y, out)) {
        return host("matmul", [[x, false], [y, false], [out, true]], ([p, q, o]) => cpu.matmul(p!, q!, o!));
      }
      begin(); view(x, 1); view(y, 2); view(out, 3);
      a.matmul(end(), buf(x), buf(y), buf(out));
    },

    conv(x, w, out, p, bias) {
      if (!info.cudnn || !sameFloat(x, w, out)) {
        host("conv", [[x, false], [w, false], [out, true]], ([i, k, o]) => cpu.conv(i!, k!, o!, p));
      } else {
        withDense([x, w], [out], ([dx, dw], [dout]) => {
          begin(); convNumbers(p); view(dx!, 1); view(dw!, 2); view(dout!, 3);
          a.conv(end(), buf(dx!), buf(dw!), buf(dout!));
        });
      }
      if (bias) addConvBias(kernels.binary, out, bias);
    },

    convBackwardData(gy, w, gx, p) {
      if (!info.cudnn || !sameFloat(gy, w, gx)) {
        return host("convBackwardData", [[gy, false], [w, false], [gx, true]], ([g, k, o]) => cpu.convBackwardData(g!, k!, o!, p));
      }
      withDense([gy, w], [gx], ([dgy, dw], [dgx]) => {
        begin(); convNumbers(p); view(dgx!, 1); view(dw!, 2); view(dgy!, 3);
        a.convBackwardData(end(), buf(dgx!), buf(dw!), buf(dgy!));
      });
    },

    convBackwardFilter(x, gy, gw, p, gb) {
      if (!info.cudnn || !sameFloat(x, gy, gw)) {
        host("convBackwardFilter", [[x, false], [gy, false], [gw, true]], ([i, g, o]) => cpu.convBackwardFilter(i!, g!, o!, p));
      } else {
        withDense([x, gy], [gw], ([dx, dgy], [dgw]) => {
          begin(); convNumbers(p); view(dx!, 1); view(dgw!, 2); view(dgy!, 3);
          a.convBackwardFilter(end(), buf(dx!), buf(dgw!), buf(dgy!));
        });
      }
      if (gb) convBiasGrad(kernels.reduce, gy, gb);
    },

    maxPool(x, out, indices, p, afterRelu) {
      if (!sameFloat(x, out) || indices.dtype !== "int32" || !poolShapes(x, out) || !windowOk(p, x.shape.length - 2)) {
        return host("maxPool", [[x, false], [out, true], [indices, true]], ([i, o, k]) => cpu.maxPool(i!, o!, k!, p, afterRelu));
      }
      withDense([x], [out, indices], ([dx], [dout, dind]) => {
        begin(); num(0); windowNumbers(p); view(dx!, 1); view(dout!, 2); view(dind!, 3);
        a.pool(end(), buf(dx!), buf(dout!), buf(dind!));
        if (afterRelu) {
          reluAfterMaxPool({
            ...kernels,
            alloc: (dtype, size, uninitialized) => a.alloc(size * ITEM_BYTES[dtype], !uninitialized),
            free: (b) => a.free(b as DeviceBuffer),
          }, dout!, dind!);
        }
      });
    },

    maxPoolBackward(gy, indices, gx) {
      if (!sameFloat(gy, gx) || indices.dtype !== "int32" || !poolShapes(gx, gy)) {
        return host("maxPoolBackward", [[gy, false], [indices, false], [gx, true]], ([g, k, o]) => cpu.maxPoolBackward(g!, k!, o!));
      }
      withDense([gy, indices], [gx], ([dgy, dind], [dgx]) => {
        begin(); num(gx.shape.length - 2); view(dgy!, 1); view(dind!, 2); view(dgx!, 3);
        a.maxPoolBackward(end(), buf(dgy!), buf(dind!), buf(dgx!));
      });
    },

    avgPool(x, out, p) {
      if (!sameFloat(x, out) || !poolShapes(x, out) || !windowOk(p, x.shape.length - 2) || !Number.isFinite(p.divisorOverride ?? 0)) {
        return host("avgPool", [[x, false], [out, true]], ([i, o]) => cpu.avgPool(i!, o!, p));
      }
      withDense([x], [out], ([dx], [dout]) => {
        begin(); num(1); windowNumbers(p); avgNumbers(p); view(dx!, 1); view(dout!, 2);
        a.pool(end(), buf(dx!), buf(dout!));
      });
    },

    avgPoolBackward(gy, gx, p) {
      if (!sameFloat(gy, gx) || !poolShapes(gx, gy) || !windowOk(p, gx.shape.length - 2) || !Number.isFinite(p.divisorOverride ?? 0)) {
        return host("avgPoolBackward", [[gy, false], [gx, true]], ([g, o]) => cpu.avgPoolBackward(g!, o!, p));
      }
      withDense([gy], [gx], ([dgy], [dgx]) => {
        begin(); num(1); windowNumbers(p); avgNumbers(p); view(dgy!, 1); view(dgx!, 2);
        a.poolBackward(end(), buf(dgy!), buf(dgx!));
      });
    },

    adaptiveAvgPool(x, out) {
      if (!sameFloat(x, out) || !poolShapes(x, out)) return host("adaptiveAvgPool", [[x, false], [out, true]], ([i, o]) => cpu.adaptiveAvgPool(i!, o!));
      withDense([x], [out], ([dx], [dout]) => {
        begin(); num(2); num(x.shape.length - 2); view(dx!, 1); view(dout!, 2);
        a.pool(end(), buf(dx!), buf(dout!));
      });
    },

    adaptiveAvgPoolBackward(gy, gx) {
      if (!sameFloat(gy, gx) || !poolShapes(gx, gy)) {
        return host("adaptiveAvgPoolBackward", [[gy, false], [gx, true]], ([g, o]) => cpu.adaptiveAvgPoolBackward(g!, o!));
      }
      withDense([gy], [gx], ([dgy], [dgx]) => {
        begin(); num(2); num(gx.shape.length - 2); view(dgy!, 1); view(dgx!, 2);
        a.poolBackward(end(), buf(dgy!), buf(dgx!));
      });
    },

    adaptiveMaxPool(x, out, indices) {
      if (!sameFloat(x, out) || indices.dtype !== "int32" || !poolShapes(x, out)) {
        return host("adaptiveMaxPool", [[x, false], [out, true], [indices, true]], ([i, o, k]) => cpu.adaptiveMaxPool(i!, o!, k!));
      }
      withDense([x], [out, indices], ([dx], [dout, dind]) => {
        begin(); num(3); num(x.shape.length - 2); view(dx!, 1); view(dout!, 2); view(dind!, 3);
        a.pool(end(), buf(dx!), buf(dout!), buf(dind!));
      });
    },

    softmax(x, axis, out, log) {
      const axisOk = x.shape.length === 0 ? axis === 0 : axis >= 0 && axis < x.shape.length;
      if (!sameFloat(x, out) || !axisOk) return host("softmax", [[x, false], [out, true]], ([i, o]) => cpu.softmax(i!, axis, o!, log));
      begin(); num(axis); num(log ? 1 : 0); view(x, 1); view(out, 2);
      a.softmax(end(), buf(x), buf(out));
    },

    softmaxBackward(y, gy, axis, gx, log) {
      const axisOk = y.shape.length === 0 ? axis === 0 : axis >= 0 && axis < y.shape.length;
      if (!sameFloat(y, gy, gx) || !axisOk) {
        return host("softmaxBackward", [[y, false], [gy, false], [gx, true]], ([p, g, o]) => cpu.softmaxBackward(p!, g!, axis, o!, log));
      }
      begin(); num(axis); num(log ? 1 : 0); view(y, 1); view(gy, 2); view(gx, 3);
      a.softmaxBackward(end(), buf(y), buf(gy), buf(gx));
    },

    moments(x, rows, cols, eps, mean, rstd) {
      if (!sameFloat(x, mean, rstd) || numelOf(x.shape) !== rows * cols || numelOf(mean.shape) !== rows || numelOf(rstd.shape) !== rows) {
        return host("moments", [[x, false], [mean, true], [rstd, true]], ([p, m, r]) => cpu.moments(p!, rows, cols, eps, m!, r!));
      }
      if (rows === 0) return;
      withDense([x], [mean, rstd], ([dx], [dm, dr]) => {
        begin(); nums([rows, cols, eps]); view(dx!, 1); view(dm!, 2); view(dr!, 3);
        a.moments(end(), buf(dx!), buf(dm!), buf(dr!));
      });
    },

    channelMoments(x, mean, variance) {
      const C = x.shape[1];
      if (x.shape.length < 2 || !sameFloat(x, mean, variance) || numelOf(mean.shape) !== C || numelOf(variance.shape) !== C) {
        return host("channelMoments", [[x, false], [mean, true], [variance, true]], ([p, m, v]) => cpu.channelMoments(p!, m!, v!));
      }
      withDense([x], [mean, variance], ([dx], [dm, dv]) => {
        begin(); view(dx!, 1); view(dm!, 2); view(dv!, 3);
        a.channelMoments(end(), buf(dx!), buf(dm!), buf(dv!));
      });
    },

    batchNormApply(x, mean, rstd, weight, bias, out) {
      const C = x.shape[1];
      const vectorsOk = [mean, rstd, weight, bias].every((v) => v === null || numelOf(v.shape) === C);
      if (x.shape.length < 2 || !sameFloat(x, mean, rstd, weight, bias, out) || !vectorsOk || out.shape.join() !== x.shape.join()) {
        return host("batchNormApply", [[x, false], [mean, false], [rstd, false], [weight, false], [bias, false], [out, true]],
          ([p, m, r, w, b, o]) => cpu.batchNormApply(p!, m!, r!, w, b, o!));
      }
      withDense([x, mean, rstd, weight, bias], [out], ([dx, dm, dr, dw, db], [dout]) => {
        begin(); view(dx!, 1); view(dm!, 2); view(dr!, 3); optional(dw, 4); optional(db, 5); view(dout!, 6);
        a.batchNormApply(end(), buf(dx!), buf(dm!), buf(dr!), buf(dw ?? dx!), buf(db ?? dx!), buf(dout!));
      });
    },

    batchNormBackward(gy, x, mean, rstd, weight, gx, gWeight, gBias) {
      const C = x.shape[1];
      const vectorsOk = [mean, rstd, weight, gWeight, gBias].every((v) => v === null || numelOf(v.shape) === C);
      const shapesOk = gy.shape.join() === x.shape.join() && gx.shape.join() === x.shape.join();
      if (x.shape.length < 2 || !sameFloat(gy, x, mean, rstd, weight, gx, gWeight, gBias) || !vectorsOk || !shapesOk) {
        return host("batchNormBackward",
          [[gy, false], [x, false], [mean, false], [rstd, false], [weight, false], [gx, true], [gWeight, true], [gBias, true]],
          ([g, p, m, r, w, o, ow, ob]) => cpu.batchNormBackward(g!, p!, m!, r!, w, o!, ow, ob));
      }
      withDense([gy, x, mean, rstd, weight], [gx, gWeight, gBias], ([dgy, dx, dm, dr, dw], [dgx, dgw, dgb]) => {
        begin(); view(dgy!, 1); view(dx!, 2); view(dm!, 3); view(dr!, 4);
        optional(dw, 5); view(dgx!, 6); optional(dgw, 7); optional(dgb, 8);
        a.batchNormBackward(end(), buf(dgy!), buf(dx!), buf(dm!), buf(dr!), buf(dw ?? dx!), buf(dgx!), buf(dgw ?? dx!), buf(dgb ?? dx!));
      });
    },

    indexSelect(x, axis, index, out) {
      if (index.dtype !== "int32" || x.dtype !== out.dtype || index.shape.length > 1 || !(axis >= 0 && axis < x.shape.length)) {
        return host("indexSelect", [[x, false], [index, false], [out, true]], ([p, i, o]) => cpu.indexSelect(p!, axis, i!, o!));
      }
      begin(); num(axis); view(x, 1); view(index, 2); view(out, 3);
      a.indexSelect(end(), buf(x), buf(index), buf(out));
    },

    indexAdd(out, axis, index, src) {
      if (index.dtype !== "int32" || out.dtype !== src.dtype || out.dtype === "bool" || index.shape.length > 1 || !(axis >= 0 && axis < out.shape.length)) {
        return host("indexAdd", [[out, true], [index, false], [src, false]], ([o, i, s]) => cpu.indexAdd(o!, axis, i!, s!));
      }
      begin(); num(axis); view(out, 1); view(index, 2); view(src, 3);
      a.indexAdd(end(), buf(out), buf(index), buf(src));
    },

    gather(x, axis, index, out) {
      if (index.dtype !== "int32" || x.dtype !== out.dtype || !(axis >= 0 && axis < x.shape.length)) {
        return host("gather", [[x, false], [index, false], [out, true]], ([p, i, o]) => cpu.gather(p!, axis, i!, o!));
      }
      begin(); num(axis); view(x, 1); view(index, 2); view(out, 3);
      a.gather(end(), buf(x), buf(index), buf(out));
    },

    scatterAdd(out, axis, index, src) {
      if (index.dtype !== "int32" || out.dtype !== src.dtype || out.dtype === "bool" || !(axis >= 0 && axis < out.shape.length)) {
        return host("scatterAdd", [[out, true], [index, false], [src, false]], ([o, i, s]) => cpu.scatterAdd(o!, axis, i!, s!));
      }
      begin(); num(axis); view(out, 1); view(index, 2); view(src, 3);
      a.scatterAdd(end(), buf(out), buf(index), buf(src));
    },

    random(out, dist, seed, offset) {
      if (!isFloat(out)) return host("random", [[out, true]], ([o]) => cpu.random(o!, dist, seed, offset));
      const lo = (v: bigint): number => Number(v & 0xffffffffn), hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
      begin(); num(dist === "normal" ? 1 : 0); nums([lo(seed), hi(seed), lo(offset), hi(offset)]); view(out, 1);
      a.random(end(), buf(out));
    },
  };
  return kernels;
}
