// The wasm backend's kernels: each decides whether the WebAssembly module takes the call
// (float32 operands in the layouts its kernels read) or the host backend's (cpu) kernel does —
// other dtypes, unusual strides, 3-d convolutions, and every kernel not overridden here. Operands
// are copied into the module's memory and results copied back (operands.ts); docs/browser.md
// gives the measured cost.

import type { Backend, BinaryOp, LossReduction, UnaryOp, View } from "../backend.js";
import type { TypedArray } from "../../core/dtype.js";
import { isDense, numelOf } from "../../core/shape.js";
import { convGeometry, poolGeometry } from "./geometry.js";
import type { WasmKernels } from "./module.js";
import { Operands } from "./operands.js";

/** The kernels overridden; everything else is the host's. */
export type WasmOverrides = Pick<Backend,
  "matmul" | "conv" | "convBackwardData" | "convBackwardFilter" | "maxPool" | "maxPoolBackward" | "avgPool" | "avgPoolBackward" |
  "binary" | "unary" | "adamStep" | "sgdStep" | "crossEntropy" | "crossEntropyBackward">;

// Op codes of wasm/src/elementwise.c: only ops whose float32 results are exact, so they equal cpu's.
const BINARY: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, reluGrad: 6 };
const UNARY: Partial<Record<UnaryOp, number>> = { neg: 0, abs: 1, relu: 2, sqrt: 3, square: 4 };
const REDUCTION: Record<LossReduction, number> = { none: 0, sum: 1, mean: 2 };

const arr = (v: View): TypedArray => v.buf as TypedArray;
const f32 = (...views: View[]): boolean => views.every((v) => v.dtype === "float32");
const dense = (...views: View[]): boolean => views.every(isDense);

/** Elements from a view's offset to its last element (strides ≥ 0), or -1 for a negative stride. */
function span(v: View): number {
  if (numelOf(v.shape) === 0) return 0;
  let last = 0;
  for (let i = 0; i < v.shape.length; i++) {
    if (v.strides[i] < 0) return -1;
    last += (v.shape[i] - 1) * v.strides[i];
  }
  return last + 1;
}

/**
 * How often an operand broadcast to `shape` repeats: its trailing dims are contiguous and the rest
 * stride 0, so element i of the output reads element i mod period of a dense run. -1 otherwise.
 */
function period(v: View, shape: readonly number[]): number {
  let expected = 1;
  let i = shape.length - 1;
  for (; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (v.strides[i] !== expected) break;
    expected *= shape[i];
  }
  for (; i >= 0; i--) if (shape[i] !== 1 && v.strides[i] !== 0) return -1;
  return expected;
}

/** A view's elements in row-major order as a new dense array (small operands: bias, targets). */
function gathered(v: View): TypedArray {
  const n = numelOf(v.shape);
  const src = arr(v);
  const out = new (src.constructor as new (n: number) => TypedArray)(n);
  const idx = new Array<number>(v.shape.length).fill(0);
  let at = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = src[at];
    for (let d = v.shape.length - 1; d >= 0; d--) {
      at += v.strides[d];
      if (++idx[d] < v.shape[d]) break;
      at -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Write a dense array's elements into a (possibly strided) 1-d view. */
function scatter1d(values: TypedArray, v: View): void {
  const dst = arr(v);
  for (let i = 0; i < values.length; i++) dst[v.offset + i * v.strides[0]] = values[i];
}

/** Offsets (relative to each view's own) of a, b and out for every index of the batch dims. */
function batchOffsets(shape: readonly number[], a: readonly number[], b: readonly number[], out: readonly number[]): number[][] {
  const result: number[][] = [];
  const idx = new Array<number>(shape.length).fill(0);
  const total = numelOf(shape);
  for (let i = 0; i < total; i++) {
    let ao = 0, bo = 0, oo = 0;
    for (let d = 0; d < shape.length; d++) {
      ao += idx[d] * a[d];
      bo += idx[d] * b[d];
      oo += idx[d] * out[d];
    }
    result.push([ao, bo, oo]);
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return result;
}

/** The overridden kernels of a Backend on module `k`, with `host` (cpu) taking what they decline. */
export function wasmKernels(k: WasmKernels, host: Backend): WasmOverrides {
  return {
    matmul(a, b, out) {
      const r = out.shape.length;
      if (!f32(a, b, out) || !dense(out) || r < 2 || a.shape.length !== r || b.shape.length !== r) return host.matmul(a, b, out);
      const M = out.shape[r - 2], N = out.shape[r - 1], K = a.shape[r - 1];
      const batch = out.shape.slice(0, r - 2);
      const fits = a.shape[r - 2] === M && b.shape[r - 2] === K && b.shape[r - 1] === N && batch.every((n, i) => a.shape[i] === n && b.shape[i] === n);
      const sa = span(a), sb = span(b), total = numelOf(out.shape);
      if (!fits || total === 0 || sa < 0 || sb < 0) return host.matmul(a, b, out);
      const ops = new Operands(k, "matmul");
      const pa = sa > 0 ? ops.put(arr(a), a.offset, sa) : ops.room(4);
      const pb = sb > 0 ? ops.put(arr(b), b.offset, sb) : ops.room(4);
      const po = ops.room(total * 4);
      const [ars, acs, brs, bcs] = [a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1]];
      // A shared right operand under stacked left rows (x[..., M, K] · W[K, N]) is one tall product.
      let rowStep = M * ars;
      let stacked = true;
      for (let d = r - 3; d >= 0; d--) {
        if (batch[d] === 1) continue;
        stacked &&= b.strides[d] === 0 && a.strides[d] === rowStep;
        rowStep *= batch[d];
      }
      if (stacked) {
        ops.check(k.sgemm(numelOf(batch) * M, N, K, pa, ars, acs, pb, brs, bcs, po, N, 0));
      } else {
        for (const [ao, bo, oo] of batchOffsets(batch, a.strides, b.strides, out.strides)) {
          ops.check(k.sgemm(M, N, K, pa + 4 * ao, ars, acs, pb + 4 * bo, brs, bcs, po + 4 * oo, N, 0));
        }
      }
      ops.take(po, arr(out), out.offset, total);
    },

    conv(x, w, out, p, bias) {
      const g = f32(x, w, out) && dense(x, w, out) && (!bias || bias.dtype === "float32") ? convGeometry(x.shape, w.shape, out.shape, p) : null;
      if (!g) return host.conv(x, w, out, p, bias);
      const ops = new Operands(k, "conv");
      const geometry = ops.ints(g);
      const px = ops.put(arr(x), x.offset, numelOf(x.shape));
      const pw = ops.put(arr(w), w.offset, numelOf(w.shape));
      const pbias = bias ? ops.put(gathered(bias), 0, numelOf(bias.shape)) : 0;
      const total = numelOf(out.shape);
      const po = ops.room(total * 4);
      ops.check(k.conv(geometry, px, pw, pbias, po));
      ops.take(po, arr(out), out.offset, total);
    },

    convBackwardData(gy, w, gx, p) {
      const g = f32(gy, w, gx) && dense(gy, w, gx) ? convGeometry(gx.shape, w.shape, gy.shape, p) : null;
      if (!g) return host.convBackwardData(gy, w, gx, p);
      const ops = new Operands(k, "convBackwardData");
      const geometry = ops.ints(g);
      const pgy = ops.put(arr(gy), gy.offset, numelOf(gy.shape));
      const pw = ops.put(arr(w), w.offset, numelOf(w.shape));
      const total = numelOf(gx.shape);
      const pgx = ops.room(total * 4);
      ops.check(k.convBackwardData(geometry, pgy, pw, pgx));
      ops.take(pgx, arr(gx), gx.offset, total);
    },

    convBackwardFilter(x, gy, gw, p, gb) {
      const g = f32(x, gy, gw) && dense(x, gy, gw) && (!gb || (gb.dtype === "float32" && gb.shape.length === 1)) ? convGeometry(x.shape, gw.shape, gy.shape, p) : null;
      if (!g) return host.convBackwardFilter(x, gy, gw, p, gb);
      const ops = new Operands(k, "convBackwardFilter");
      const geometry = ops.ints(g);
      const px = ops.put(arr(x), x.offset, numelOf(x.shape));
      const pgy = ops.put(arr(gy), gy.offset, numelOf(gy.shape));
      const total = numelOf(gw.shape);
      const pgw = ops.room(total * 4);
      const pgb = gb ? ops.room(gb.shape[0] * 4) : 0;
      ops.check(k.convBackwardFilter(geometry, px, pgy, pgw, pgb));
      ops.take(pgw, arr(gw), gw.offset, total);
      if (gb) {
        const sums = new Float32Array(gb.shape[0]);
        ops.take(pgb, sums, 0, sums.length);
        scatter1d(sums, gb);
      }
    },

    maxPool(x, out, indices, p, afterRelu) {
      const g = f32(x, out) && indices.dtype === "int32" && dense(x, out, indices) ? poolGeometry(x, out, p) : null;
      if (!g) return host.maxPool(x, out, indices, p, afterRelu);
      const ops = new Operands(k, "maxPool");
      const geometry = ops.ints(g);
      const px = ops.put(arr(x), x.offset, numelOf(x.shape));
      const total = numelOf(out.shape);
      const po = ops.room(total * 4), pi = ops.room(total * 4);
      ops.check(k.maxPool(geometry, afterRelu ? 1 : 0, px, po, pi));
      ops.take(po, arr(out), out.offset, total);
      ops.take(pi, arr(indices), indices.offset, total);
    },

    maxPoolBackward(gy, indices, gx) {
      const nd = gx.shape.length - 2;
      const fits = f32(gy, gx) && indices.dtype === "int32" && dense(gy, indices, gx) && nd >= 1 && nd <= 3 && gy.shape.length === nd + 2 &&
        gy.shape[0] === gx.shape[0] && gy.shape[1] === gx.shape[1] && numelOf(indices.shape) === numelOf(gy.shape) && numelOf(gx.shape) > 0;
      if (!fits) return host.maxPoolBackward(gy, indices, gx);
      const planes = gx.shape[0] * gx.shape[1], inPlane = numelOf(gx.shape.slice(2)), outPlane = numelOf(gy.shape.slice(2));
      // An index past its plane would write another plane's gradient: the cpu kernel has the same contract, checked here.
      const idx = arr(indices);
      for (let i = indices.offset, end = i + planes * outPlane; i < end; i++) {
        if (idx[i] >= inPlane) throw new Error(`maxPoolBackward: index ${idx[i]} is outside a plane of ${inPlane} elements (gx [${gx.shape.join(", ")}])`);
      }
      const ops = new Operands(k, "maxPoolBackward");
      const pgy = ops.put(arr(gy), gy.offset, planes * outPlane);
      const pi = ops.put(idx, indices.offset, planes * outPlane);
      const pgx = ops.room(planes * inPlane * 4);
      ops.check(k.maxPoolBackward(planes, inPlane, outPlane, pgy, pi, pgx));
      ops.take(pgx, arr(gx), gx.offset, planes * inPlane);
    },

    avgPool(x, out, p) {
      const override = p.divisorOverride ?? 0;
      const g = f32(x, out) && dense(x, out) && Number.isFinite(override) ? poolGeometry(x, out, p) : null;
      if (!g) return host.avgPool(x, out, p);
      const ops = new Operands(k, "avgPool");
      const geometry = ops.ints(g);
      const px = ops.put(arr(x), x.offset, numelOf(x.shape));
      const total = numelOf(out.shape);
      const po = ops.room(total * 4);
      ops.check(k.avgPool(geometry, p.countIncludePad ? 1 : 0, override, px, po));
      ops.take(po, arr(out), out.offset, total);
    },

    avgPoolBackward(gy, gx, p) {
      const override = p.divisorOverride ?? 0;
      const g = f32(gy, gx) && dense(gy, gx) && Number.isFinite(override) ? poolGeometry(gx, gy, p) : null;
      if (!g) return host.avgPoolBackward(gy, gx, p);
      const ops = new Operands(k, "avgPoolBackward");
      const geometry = ops.ints(g);
      const pgy = ops.put(arr(gy), gy.offset, numelOf(gy.shape));
      const total = numelOf(gx.shape);
      const pgx = ops.room(total * 4);
      ops.check(k.avgPoolBackward(geometry, p.countIncludePad ? 1 : 0, override, pgy, pgx));
      ops.take(pgx, arr(gx), gx.offset, total);
    },

    binary(op, a, b, out) {
      const code = BINARY[op];
      const n = numelOf(out.shape);
      const pa = period(a, out.shape), pb = period(b, out.shape);
      if (code === undefined || !f32(a, b, out) || !dense(out) || n === 0 || pa < 0 || pb < 0 || (pa !== n && pb !== n)) return host.binary(op, a, b, out);
      const ops = new Operands(k, "binary");
      const at = ops.put(arr(a), a.offset, pa), bt = ops.put(arr(b), b.offset, pb);
      const po = ops.room(n * 4);
      ops.check(k.binary(code, at, pa, bt, pb, po, n));
      ops.take(po, arr(out), out.offset, n);
    },

    unary(op, x, out) {
      const code = UNARY[op];
      const n = numelOf(out.shape);
      if (code === undefined || !f32(x, out) || !dense(x, out) || n === 0) return host.unary(op, x, out);
      const ops = new Operands(k, "unary");
      const px = ops.put(arr(x), x.offset, n);
      const po = ops.room(n * 4);
      ops.check(k.unary(code, px, po, n));
      ops.take(po, arr(out), out.offset, n);
    },

    // Fused entries: callers (src/optim/fused.ts, src/ops/fused-cross-entropy.ts) pass contiguous
    // float32 operands of one size in distinct buffers.
    adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, p) {
      const n = numelOf(param.shape);
      const amsgrad = p.amsgrad && maxExpAvgSq !== null;
      const ops = new Operands(k, "adamStep");
      const scalars = ops.floats([p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.eps, p.weightDecay, 1 - p.lr * p.weightDecay, p.stepSize, p.bias2Sqrt, p.maximize ? -1 : 1]);
      const state = amsgrad ? [param, expAvg, expAvgSq, maxExpAvgSq] : [param, expAvg, expAvgSq];
      const [pp, pm, pv, pvmax] = state.map((v) => ops.put(arr(v), v.offset, n));
      const pg = ops.put(arr(grad), grad.offset, n);
      ops.check(k.adamStep(scalars, p.decoupled ? 1 : 0, amsgrad ? 1 : 0, pp, pg, pm, pv, pvmax ?? 0, n));
      [pp, pm, pv, pvmax].forEach((at, i) => at !== undefined && ops.take(at, arr(state[i]), state[i].offset, n));
    },

    sgdStep(param, grad, momentumBuffer, p) {
      const n = numelOf(param.shape);
      const ops = new Operands(k, "sgdStep");
      const pp = ops.put(arr(param), param.offset, n), pg = ops.put(arr(grad), grad.offset, n);
      const pb = momentumBuffer ? ops.put(arr(momentumBuffer), momentumBuffer.offset, n) : 0;
      ops.check(k.sgdStep(-p.lr, p.momentum, 1 - p.dampening, p.weightDecay, p.nesterov ? 1 : 0, p.maximize ? 1 : 0, p.firstStep ? 1 : 0, pp, pg, pb, n));
      ops.take(pp, arr(param), param.offset, n);
      if (momentumBuffer) ops.take(pb, arr(momentumBuffer), momentumBuffer.offset, n);
    },

    crossEntropy(logits, target, ignoreIndex, reduction, out, logSumExp) {
      const { rows, classes, targets, ignore } = crossEntropyOperands("crossEntropy", logits, target, ignoreIndex);
      const outCount = reduction === "none" ? rows : 1;
      const ops = new Operands(k, "crossEntropy");
      const px = ops.put(arr(logits), logits.offset, rows * classes);
      const pt = ops.put(targets, 0, rows);
      const plse = ops.room(rows * 4), po = ops.room(outCount * 4);
      ops.check(k.crossEntropy(rows, classes, ignore, REDUCTION[reduction], px, pt, plse, po));
      const lse = new Float32Array(rows), loss = new Float32Array(outCount);
      ops.take(plse, lse, 0, rows);
      ops.take(po, loss, 0, outCount);
      scatter1d(lse, logSumExp);
      const o = arr(out);
      for (let i = 0; i < outCount; i++) o[out.offset + i * (out.strides[0] ?? 0)] = loss[i];
    },

    crossEntropyBackward(logits, target, logSumExp, ignoreIndex, reduction, gy, gx) {
      const { rows, classes, targets, ignore } = crossEntropyOperands("crossEntropyBackward", logits, target, ignoreIndex);
      if (!f32(gx) || !dense(gx) || numelOf(gx.shape) !== rows * classes) {
        throw new Error(`crossEntropyBackward: gx must be contiguous float32 of the logits' shape [${logits.shape.join(", ")}], got [${gx.shape.join(", ")}]`);
      }
      const ops = new Operands(k, "crossEntropyBackward");
      const px = ops.put(arr(logits), logits.offset, rows * classes);
      const pt = ops.put(targets, 0, rows);
      const plse = ops.put(gathered(logSumExp), 0, rows);
      const pgy = ops.put(gathered(gy), 0, numelOf(gy.shape));
      const pgx = ops.room(rows * classes * 4);
      ops.check(k.crossEntropyBackward(rows, classes, ignore, REDUCTION[reduction], px, pt, plse, pgy, pgx));
      ops.take(pgx, arr(gx), gx.offset, rows * classes);
    },
  };
}

/**
 * The checked operands of both cross-entropy directions: logits [N, C] contiguous float32, every
 * target in [0, C) or ignoreIndex. An ignoreIndex no int32 can equal is passed as -1, which no
 * valid target is either.
 */
function crossEntropyOperands(op: string, logits: View, target: View, ignoreIndex: number): { rows: number; classes: number; targets: Int32Array; ignore: number } {
  if (logits.dtype !== "float32" || logits.shape.length !== 2 || !isDense(logits)) {
    throw new Error(`${op}: logits must be a contiguous float32 [N, C] matrix, got ${logits.dtype} [${logits.shape.join(", ")}]`);
  }
  const [rows, classes] = logits.shape;
  if (target.dtype !== "int32" || target.shape.length !== 1 || target.shape[0] !== rows) {
    throw new Error(`${op}: target must be int32 of shape [${rows}], got ${target.dtype} [${target.shape.join(", ")}]`);
  }
  const targets = gathered(target) as Int32Array;
  for (let i = 0; i < rows; i++) {
    const t = targets[i];
    if (t !== ignoreIndex && (t < 0 || t >= classes)) throw new Error(`${op}: target ${t} at position ${i} is out of range for ${classes} classes`);
  }
  const ignore = Number.isInteger(ignoreIndex) && ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 31 ? ignoreIndex : -1;
  return { rows, classes, targets, ignore };
}
