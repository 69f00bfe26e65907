// ONNX forms of view and shape ops (reshape, flatten, squeeze and unsqueeze all become Reshape to
// the traced result's shape with a symbolic batch dim), transposes, slicing, concatenation,
// expansion, indexing and padding.

import { GraphValue, type GraphNode } from "../../../graph/ir.js";
import { arg, dimArg, ExportError, tensorArg, type EmitContext, type Emitter } from "./context.js";

/** Any op whose result is its input's elements in the same order, in a new shape. */
const asReshape: Emitter = (ctx, n) => ctx.reshapeTo(tensorArg(n, 0), n.outputs[0]);

const identity: Emitter = (ctx, n) => {
  const y = n.outputs[0];
  ctx.b.node("Identity", [ctx.operand(tensorArg(n, 0), y.dtype)], [ctx.out(y)]);
};

function permutation(n: GraphNode): number[] {
  const x = tensorArg(n, 0);
  const rest = n.args.slice(1).flat() as number[];
  return rest.map((d) => dimArg(d, x.shape.length));
}

/** Slice along one dim: starts, ends, axes, steps as inputs (opset 10+). */
function sliceNode(ctx: EmitContext, x: string, dim: number, start: number, end: number, step: number, out: string): void {
  if (ctx.opset < 10) {
    if (step !== 1) throw new ExportError(`a slice with step ${step} needs opset 10 or later`);
    ctx.b.node("Slice", [x], [out], { starts: [start], ends: [Math.min(end, 2 ** 62)], axes: [dim] });
    return;
  }
  ctx.b.node("Slice", [x, ctx.b.int64([start]), ctx.b.int64([end]), ctx.b.int64([dim]), ctx.b.int64([step])], [out]);
}

function unsqueezed(ctx: EmitContext, x: string, axis: number): string {
  return ctx.axesNode("Unsqueeze", x, [axis]);
}

/** Split x into pieces of `sizes` along axis (split sizes as an input from opset 13). */
function split(ctx: EmitContext, x: string, axis: number, sizes: number[], outs: string[]): void {
  if (ctx.opset >= 13) ctx.b.node("Split", [x, ctx.b.int64(sizes)], outs, { axis });
  else ctx.b.node("Split", [x], outs, { axis, split: sizes });
}

export const SHAPE_EMITTERS: Record<string, Emitter> = {
  reshape: asReshape, view: asReshape, flatten: asReshape, unflatten: asReshape,
  squeeze: (ctx, n) => {
    // The dims squeeze removed: those of size 1 missing from the result (matched from the left).
    const x = tensorArg(n, 0), y = n.outputs[0];
    const axes: number[] = [];
    for (let i = 0, j = 0; i < x.shape.length; i++) {
      if (j < y.shape.length && x.shape[i] === y.shape[j] && !(x.shape[i] === 1 && x.shape.length - i > y.shape.length - j)) j++;
      else axes.push(i);
    }
    if (axes.length === 0) return identity(ctx, n);
    ctx.axesNode("Squeeze", ctx.name(x), axes, ctx.out(y));
  },
  unsqueeze: (ctx, n) => {
    const y = n.outputs[0];
    ctx.axesNode("Unsqueeze", ctx.name(tensorArg(n, 0)), [dimArg(arg<number>(n, 1), y.shape.length)], ctx.out(y));
  },
  viewAs: asReshape, reshapeAs: asReshape,
  contiguous: identity, clone: identity, to: identity,
  permute: (ctx, n) => ctx.b.node("Transpose", [ctx.name(tensorArg(n, 0))], [ctx.out(n.outputs[0])], { perm: permutation(n) }),
  transpose: (ctx, n) => {
    const x = tensorArg(n, 0);
    const nd = x.shape.length;
    const perm = [...Array(nd).keys()];
    const [a, b] = [dimArg(arg<number>(n, 1) ?? -2, nd), dimArg(arg<number>(n, 2) ?? -1, nd)];
    [perm[a], perm[b]] = [perm[b], perm[a]];
    ctx.b.node("Transpose", [ctx.name(x)], [ctx.out(n.outputs[0])], { perm });
  },
  t2: (ctx, n) => {
    const x = tensorArg(n, 0);
    if (x.shape.length < 2) return identity(ctx, n);
    ctx.b.node("Transpose", [ctx.name(x)], [ctx.out(n.outputs[0])], { perm: [1, 0] });
  },
  expand: (ctx, n) => {
    const x = tensorArg(n, 0), y = n.outputs[0];
    // 1 where the input already has the size: Expand keeps it, so the batch dim stays symbolic.
    const off = y.shape.length - x.shape.length;
    const target = y.shape.map((s, i) => (i >= off && x.shape[i - off] === s ? 1 : s));
    ctx.b.node("Expand", [ctx.name(x), ctx.b.int64(target)], [ctx.out(y)]);
  },
  expandAs: (ctx, n) => SHAPE_EMITTERS.expand(ctx, n),
  slice: (ctx, n) => {
    const x = tensorArg(n, 0);
    const dim = dimArg(arg<number>(n, 1), x.shape.length);
    sliceNode(ctx, ctx.name(x), dim, arg<number>(n, 2) ?? 0, arg<number>(n, 3) ?? Infinity, arg<number>(n, 4) ?? 1, ctx.out(n.outputs[0]));
  },
  narrow: (ctx, n) => {
    const x = tensorArg(n, 0);
    const dim = dimArg(arg<number>(n, 1), x.shape.length);
    let start = arg<number>(n, 2);
    if (start < 0) start += x.shape[dim];
    sliceNode(ctx, ctx.name(x), dim, start, start + arg<number>(n, 3), 1, ctx.out(n.outputs[0]));
  },
  cat: (ctx, n) => {
    const parts = arg<GraphValue[]>(n, 0).filter((t) => t instanceof GraphValue);
    const y = n.outputs[0];
    const axis = dimArg(arg<number>(n, 1) ?? 0, y.shape.length);
    ctx.b.node("Concat", parts.map((p) => ctx.operand(p, y.dtype)), [ctx.out(y)], { axis });
  },
  stack: (ctx, n) => {
    const parts = arg<GraphValue[]>(n, 0);
    const y = n.outputs[0];
    const axis = dimArg(arg<number>(n, 1) ?? 0, y.shape.length);
    ctx.b.node("Concat", parts.map((p) => unsqueezed(ctx, ctx.operand(p, y.dtype), axis)), [ctx.out(y)], { axis });
  },
  split: (ctx, n) => splitLike(ctx, n),
  chunk: (ctx, n) => splitLike(ctx, n),
  unbind: (ctx, n) => {
    const x = tensorArg(n, 0);
    const axis = dimArg(arg<number>(n, 1) ?? 0, x.shape.length);
    const pieces = n.outputs.map(() => ctx.b.unique("piece"));
    split(ctx, ctx.name(x), axis, n.outputs.map(() => 1), pieces);
    n.outputs.forEach((v, i) => ctx.axesNode("Squeeze", pieces[i], [axis], ctx.out(v)));
  },
  indexSelect: (ctx, n) => {
    const x = tensorArg(n, 0);
    ctx.b.node("Gather", [ctx.name(x), ctx.name(tensorArg(n, 2))], [ctx.out(n.outputs[0])], { axis: dimArg(arg<number>(n, 1), x.shape.length) });
  },
  gather: (ctx, n) => {
    const x = tensorArg(n, 0);
    ctx.b.node("GatherElements", [ctx.name(x), ctx.name(tensorArg(n, 2))], [ctx.out(n.outputs[0])], { axis: dimArg(arg<number>(n, 1), x.shape.length) });
  },
  embedding: (ctx, n) => {
    ctx.b.node("Gather", [ctx.name(tensorArg(n, 1)), ctx.name(tensorArg(n, 0))], [ctx.out(n.outputs[0])], { axis: 0 });
  },
  // The Embedding layer's form: (owner, input, weight, opts).
  embeddingAs: (ctx, n) => {
    ctx.b.node("Gather", [ctx.name(tensorArg(n, 2)), ctx.name(tensorArg(n, 1))], [ctx.out(n.outputs[0])], { axis: 0 });
  },
  pad: (ctx, n) => {
    const x = tensorArg(n, 0);
    const pads = arg<number[]>(n, 1);
    const opts = arg<{ mode?: string; value?: number } | undefined>(n, 2) ?? {};
    const nd = x.shape.length;
    // torch lists (before, after) pairs from the last dim backwards; ONNX all befores then all afters.
    const before = new Array<number>(nd).fill(0), after = new Array<number>(nd).fill(0);
    for (let i = 0; i < pads.length / 2; i++) {
      before[nd - 1 - i] = pads[2 * i];
      after[nd - 1 - i] = pads[2 * i + 1];
    }
    const mode = opts.mode ?? "constant";
    if (!["constant", "reflect", "replicate"].includes(mode)) throw new ExportError(`pad mode "${mode}" has no ONNX form`);
    const onnxMode = mode === "replicate" ? "edge" : mode;
    const y = n.outputs[0];
    if (ctx.opset >= 11) {
      ctx.b.node("Pad", [ctx.name(x), ctx.b.int64([...before, ...after]), mode === "constant" ? ctx.scalar(opts.value ?? 0, x.dtype) : ""], [ctx.out(y)], { mode: onnxMode });
    } else {
      ctx.b.node("Pad", [ctx.name(x)], [ctx.out(y)], { mode: onnxMode, pads: [...before, ...after], value: { float: opts.value ?? 0 } });
    }
  },
  flip: (ctx, n) => {
    const x = tensorArg(n, 0);
    const dims = (n.args.slice(1).flat() as number[]).map((d) => dimArg(d, x.shape.length));
    let cur = ctx.name(x);
    dims.forEach((d, i) => {
      const out = i === dims.length - 1 ? ctx.out(n.outputs[0]) : ctx.b.unique("flip");
      sliceNode(ctx, cur, d, -1, -Infinity, -1, out);
      cur = out;
    });
  },
  repeat: (ctx, n) => {
    const x = tensorArg(n, 0);
    const reps = n.args.slice(1).flat() as number[];
    const extra = reps.length - x.shape.length;
    const src = extra > 0 ? ctx.b.node("Reshape", [ctx.name(x), ctx.b.int64([...new Array<number>(extra).fill(1), ...x.shape])], 1)[0] : ctx.name(x);
    ctx.b.node("Tile", [src, ctx.b.int64(reps)], [ctx.out(n.outputs[0])]);
  },
  pixelUnshuffle: (ctx, n) => {
    // [N, C, H, W] → [N, C, H/r, r, W/r, r] → [N, C, r, r, H/r, W/r] → [N, C·r·r, H/r, W/r] (torch's channel order).
    const x = tensorArg(n, 0), y = n.outputs[0];
    const r = arg<number>(n, 1);
    const [, C, H, W] = x.shape;
    const split6 = ctx.b.node("Reshape", [ctx.name(x), ctx.b.int64([0, C, H / r, r, W / r, r])], 1)[0];
    const moved = ctx.b.node("Transpose", [split6], 1, { perm: [0, 1, 3, 5, 2, 4] })[0];
    ctx.b.node("Reshape", [moved, ctx.b.int64([0, C * r * r, H / r, W / r])], [ctx.out(y)]);
  },
  pixelShuffle: (ctx, n) => {
    ctx.b.node("DepthToSpace", [ctx.name(tensorArg(n, 0))], [ctx.out(n.outputs[0])], { blocksize: arg<number>(n, 1), mode: "CRD" });
  },
};

function splitLike(ctx: EmitContext, n: GraphNode): void {
  const x = tensorArg(n, 0);
  const axis = dimArg(arg<number>(n, 2) ?? 0, x.shape.length);
  split(ctx, ctx.name(x), axis, n.outputs.map((v) => v.shape[axis]), n.outputs.map((v) => ctx.out(v)));
}
