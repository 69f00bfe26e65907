// Shape ONNX operators and the shape arithmetic exporters emit around them (Shape → Gather →
// Concat → Reshape): int tensors are read on the host where ONNX passes shapes as data.

import { Tensor } from "../../../tensor/tensor.js";
import { arange, full, tensor } from "../../../tensor/creation.js";
import { broadcastShapes } from "../../../core/shape.js";
import { cat, gather, indexSelect, pad, tile } from "../../../ops/indexing.js";
import { expand, narrow, permute, reshape, slice } from "../../../ops/view.js";
import { cast } from "../../../ops/elementwise.js";
import { fromTensorProto, dtypeOfOnnx } from "../tensor-proto.js";
import type { Attributes } from "./attributes.js";
import { axisOf, intTensor, ints } from "./host.js";
import { UnsupportedOnnx, type OpHandler } from "./registry.js";

/** Axes from an attribute (older opsets) or from an input (newer), or null when absent. */
export function axesOf(a: Attributes, input: Tensor | null, fromInput: boolean): number[] | null {
  if (fromInput) return input ? ints(input, "axes") : null;
  return a.ints("axes");
}

/** Elements at host-computed positions along axis, in any order (negative steps, wrapped indices). */
function take(x: Tensor, axis: number, positions: number[]): Tensor {
  return indexSelect(x, axis, intTensor(positions));
}

function sliceAxis(x: Tensor, axis: number, start: number, end: number, step: number): Tensor {
  const L = x.shape[axis];
  if (step === 0) throw new UnsupportedOnnx("Slice with step 0");
  const norm = (v: number): number => (v < 0 ? v + L : v);
  if (step > 0) {
    const s = Math.min(Math.max(norm(start), 0), L), e = Math.min(Math.max(norm(end), 0), L);
    return slice(x, axis, s, Math.max(s, e), step);
  }
  const s = Math.min(Math.max(norm(start), -1), L - 1), e = Math.min(Math.max(norm(end), -1), L - 1);
  const pos: number[] = [];
  for (let i = s; i > e; i += step) pos.push(i);
  return take(x, axis, pos);
}

export const SHAPE_OPS: Record<string, OpHandler> = {
  Reshape: {
    run: ([x, s], a) => {
      const allowZero = a.int("allowzero", 0) === 1;
      const shape = ints(s, "Reshape's shape").map((d, i) => (d === 0 && !allowZero ? x!.shape[i] : d));
      return reshape(x!, shape);
    },
  },
  Flatten: {
    run: ([x], a) => {
      const axis = axisOf(a.int("axis", 1), x!.ndim);
      const outer = x!.shape.slice(0, axis).reduce((p, c) => p * c, 1);
      return reshape(x!, [outer, x!.numel() / Math.max(outer, 1)]);
    },
  },
  Transpose: {
    run: ([x], a) => permute(x!, a.ints("perm") ?? [...Array(x!.ndim).keys()].reverse()),
  },
  Concat: {
    run: (ins, a) => {
      const xs = ins.filter((t): t is Tensor => t !== null);
      const dtype = xs[0].dtype;
      return cat(xs.map((t) => (t.dtype === dtype ? t : cast(t, dtype))), axisOf(a.int("axis", 0), xs[0].ndim));
    },
  },
  Slice: {
    run: ([x, st, en, ax, sp], a, ctx) => {
      const old = ctx.opset < 10;
      const starts = old ? a.ints("starts")! : ints(st, "Slice's starts");
      const ends = old ? a.ints("ends")! : ints(en, "Slice's ends");
      const axes = (old ? a.ints("axes") : ax ? ints(ax, "Slice's axes") : null) ?? starts.map((_, i) => i);
      const steps = old ? starts.map(() => 1) : sp ? ints(sp, "Slice's steps") : starts.map(() => 1);
      let y = x!;
      axes.forEach((axis, i) => (y = sliceAxis(y, axisOf(axis, x!.ndim), starts[i], ends[i], steps[i])));
      return y;
    },
  },
  Gather: {
    run: ([x, idx], a) => {
      const axis = axisOf(a.int("axis", 0), x!.ndim);
      const L = x!.shape[axis];
      const positions = ints(idx, "Gather's indices").map((i) => (i < 0 ? i + L : i));
      const picked = take(x!, axis, positions);
      return reshape(picked, [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)]);
    },
  },
  GatherElements: {
    run: ([x, idx], a) => gather(x!, axisOf(a.int("axis", 0), x!.ndim), idx!),
  },
  Squeeze: {
    run: ([x, ax], a, ctx) => {
      const axes = (axesOf(a, ax, ctx.opset >= 13) ?? x!.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((d) => axisOf(d, x!.ndim));
      return reshape(x!, x!.shape.filter((_, i) => !axes.includes(i)));
    },
  },
  Unsqueeze: {
    run: ([x, ax], a, ctx) => {
      const axes = axesOf(a, ax, ctx.opset >= 13);
      if (!axes) throw new UnsupportedOnnx("Unsqueeze without axes");
      const rank = x!.ndim + axes.length;
      const at = axes.map((d) => axisOf(d, rank)).sort((p, q) => p - q);
      const shape = [...x!.shape];
      for (const d of at) shape.splice(d, 0, 1);
      return reshape(x!, shape);
    },
  },
  Shape: {
    run: ([x], a) => {
      const r = x!.ndim;
      const start = axisOf(a.int("start", 0), r), end = a.has("end") ? axisOf(a.int("end", r), r) : r;
      return intTensor(x!.shape.slice(Math.max(0, start), Math.min(r, end)));
    },
  },
  Size: { run: ([x]) => intTensor([x!.numel()], []) },
  Constant: {
    check: (a) => {
      if (!["value", "value_float", "value_floats", "value_int", "value_ints"].some((k) => a.has(k))) throw new UnsupportedOnnx("Constant without a value, value_float(s) or value_int(s) attribute");
    },
    run: (_ins, a) => {
      const t = a.tensor("value");
      if (t) {
        const h = fromTensorProto(t, "Constant");
        return tensor(h.data, { shape: h.shape, dtype: h.dtype });
      }
      if (a.has("value_float")) return tensor(Float32Array.of(a.float("value_float", 0)), { shape: [] });
      if (a.has("value_floats")) return tensor(Float32Array.from(a.floats("value_floats")!));
      if (a.has("value_int")) return intTensor([a.int("value_int", 0)], []);
      return intTensor(a.ints("value_ints")!);
    },
  },
  ConstantOfShape: {
    run: ([s], a) => {
      const v = a.tensor("value");
      const h = v ? fromTensorProto(v, "ConstantOfShape") : null;
      return full(ints(s, "ConstantOfShape's shape"), h ? Number(h.data[0]) : 0, { dtype: h ? h.dtype : "float32" });
    },
  },
  Range: {
    run: ([start, limit, delta]) => {
      const dtype = start!.dtype;
      const r = arange(start!.item(), limit!.item(), delta!.item(), { dtype: dtype === "bool" ? "int32" : dtype });
      return r;
    },
  },
  Expand: {
    run: ([x, s]) => expand(x!, broadcastShapes("Expand", x!.shape, ints(s, "Expand's shape"))),
  },
  Tile: { run: ([x, r]) => tile(x!, ints(r, "Tile's repeats")) },
  Split: {
    run: ([x, sp], a, ctx, node) => {
      const axis = axisOf(a.int("axis", 0), x!.ndim);
      const L = x!.shape[axis];
      const count = node.output?.length ?? 1;
      let sizes = ctx.opset >= 13 ? (sp ? ints(sp, "Split's split") : null) : a.ints("split");
      if (!sizes) {
        const n = a.int("num_outputs", count);
        const each = Math.ceil(L / n);
        sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, L - i * each)));
      }
      let at = 0;
      return sizes.map((s) => {
        const piece = narrow(x!, axis, at, s);
        at += s;
        return piece;
      });
    },
  },
  Pad: {
    check: (a) => {
      const mode = a.string("mode", "constant");
      if (!["constant", "reflect", "edge"].includes(mode)) throw new UnsupportedOnnx(`Pad mode "${mode}"`);
    },
    run: ([x, p, v, ax], a, ctx) => {
      const old = ctx.opset < 11;
      const r = x!.ndim;
      let pads = old ? a.ints("pads")! : ints(p, "Pad's pads");
      const value = old ? a.float("value", 0) : v ? v.item() : 0;
      if (ax) {
        // opset 18: pads for the listed axes only.
        const axes = ints(ax, "Pad's axes").map((d) => axisOf(d, r));
        const full2 = new Array<number>(2 * r).fill(0);
        axes.forEach((d, i) => {
          full2[d] = pads[i];
          full2[d + r] = pads[i + axes.length];
        });
        pads = full2;
      }
      if (pads.some((q) => q < 0)) throw new UnsupportedOnnx("Pad with negative pads (cropping)");
      const torchPads: number[] = [];
      for (let d = r - 1; d >= 0; d--) torchPads.push(pads[d], pads[d + r]);
      const mode = a.string("mode", "constant");
      return pad(x!, torchPads, { mode: mode === "edge" ? "replicate" : (mode as "constant" | "reflect"), value });
    },
  },
};

export { dtypeOfOnnx };
