// ONNX forms of elementwise ops: arithmetic with broadcasting, comparisons, unary math, activations.

import { GraphValue, type GraphNode } from "../../../graph/ir.js";
import { onnxTypeOf } from "../tensor-proto.js";
import { arg, tensorArg, type EmitContext, type Emitter } from "./context.js";

/** a OP b with both operands in the result's dtype (ONNX's binary ops broadcast like numpy). */
function binary(onnx: string): Emitter {
  return (ctx, n) => {
    const y = n.outputs[0];
    let b = ctx.operand(arg(n, 1), y.dtype);
    const alpha = (arg(n, 2) as { alpha?: number } | undefined)?.alpha;
    if (alpha !== undefined && alpha !== 1) b = ctx.b.node("Mul", [b, ctx.scalar(alpha, y.dtype)], 1)[0];
    ctx.b.node(onnx, [ctx.operand(arg(n, 0), y.dtype), b], [ctx.out(y)]);
  };
}

/** Comparisons compute in the operands' promoted dtype and give bool. */
function compare(onnx: string, negate = false): Emitter {
  return (ctx, n) => {
    const [a, b] = [arg(n, 0), arg(n, 1)];
    const t = a instanceof GraphValue ? a.dtype : (b as GraphValue).dtype;
    const ins = [ctx.operand(a, t), ctx.operand(b, t)];
    if (!negate) ctx.b.node(onnx, ins, [ctx.out(n.outputs[0])]);
    else ctx.b.node("Not", ctx.b.node(onnx, ins, 1), [ctx.out(n.outputs[0])]);
  };
}

function logical(onnx: string): Emitter {
  return (ctx, n) => ctx.b.node(onnx, [ctx.operand(arg(n, 0), "bool"), ctx.operand(arg(n, 1), "bool")], [ctx.out(n.outputs[0])]);
}

/** One ONNX op on the (cast) input, with attributes. */
function unary(onnx: string, attrs: (n: GraphNode) => Record<string, number | { float: number }> = () => ({})): Emitter {
  return (ctx, n) => {
    const y = n.outputs[0];
    const x = tensorArg(n, 0);
    ctx.b.node(onnx, [ctx.operand(x, y.dtype === "bool" ? x.dtype : y.dtype)], [ctx.out(y)], attrs(n));
  };
}

/** f(x) built from several ONNX ops: `build` returns the result's name, given x's. */
function composite(build: (ctx: EmitContext, x: string, n: GraphNode) => string): Emitter {
  return (ctx, n) => {
    const y = n.outputs[0];
    const r = build(ctx, ctx.operand(tensorArg(n, 0), y.dtype), n);
    ctx.b.node("Identity", [r], [ctx.out(y)]);
  };
}

const num = (n: GraphNode, i: number, dflt: number): number => (typeof n.args[i] === "number" ? (n.args[i] as number) : dflt);

/** Clip with bounds as inputs (opset 11+) or attributes (before). */
function clip(ctx: EmitContext, x: string, dtype: GraphValue["dtype"], min: number | null, max: number | null, out: string): void {
  if (ctx.opset >= 11) {
    ctx.b.node("Clip", [x, min === null ? "" : ctx.scalar(min, dtype), max === null ? "" : ctx.scalar(max, dtype)], [out]);
  } else {
    ctx.b.node("Clip", [x], [out], { ...(min === null ? {} : { min: { float: min } }), ...(max === null ? {} : { max: { float: max } }) });
  }
}

export const ELEMENTWISE_EMITTERS: Record<string, Emitter> = {
  add: binary("Add"), sub: binary("Sub"), mul: binary("Mul"), div: binary("Div"), pow: binary("Pow"),
  maximum: binary("Max"), minimum: binary("Min"),
  eq: compare("Equal"), ne: compare("Equal", true), lt: compare("Less"), gt: compare("Greater"),
  le: compare("LessOrEqual"), ge: compare("GreaterOrEqual"),
  logicalAnd: logical("And"), logicalOr: logical("Or"), logicalXor: logical("Xor"),
  logicalNot: (ctx, n) => ctx.b.node("Not", [ctx.operand(arg(n, 0), "bool")], [ctx.out(n.outputs[0])]),
  isnan: unary("IsNaN"), isinf: unary("IsInf"),
  neg: unary("Neg"), abs: unary("Abs"), exp: unary("Exp"), log: unary("Log"), sqrt: unary("Sqrt"),
  sin: unary("Sin"), cos: unary("Cos"), tan: unary("Tan"), atan: unary("Atan"), relu: unary("Relu"),
  sigmoid: unary("Sigmoid"), tanh: unary("Tanh"), sign: unary("Sign"), reciprocal: unary("Reciprocal"),
  floor: unary("Floor"), ceil: unary("Ceil"), round: unary("Round"), erf: unary("Erf"),
  softplus: composite((ctx, x, n) => {
    // nn.functional's softplus takes {beta} (its threshold only switches to x where they agree in float32).
    const beta = (arg(n, 1) as { beta?: number } | undefined)?.beta ?? 1;
    if (beta === 1) return ctx.b.node("Softplus", [x], 1)[0];
    const bx = ctx.b.node("Mul", [x, ctx.scalar(beta, "float32")], 1)[0];
    return ctx.b.node("Div", [ctx.b.node("Softplus", [bx], 1)[0], ctx.scalar(beta, "float32")], 1)[0];
  }),
  prelu: (ctx, n) => {
    // ONNX's PRelu broadcasts the slope from the right: one per channel becomes [C, 1, …].
    const x = tensorArg(n, 0), w = tensorArg(n, 1), y = n.outputs[0];
    const slope = w.shape[0] > 1 && x.shape.length > 2 ? ctx.b.node("Reshape", [ctx.name(w), ctx.b.int64([w.shape[0], ...new Array<number>(x.shape.length - 2).fill(1)])], 1)[0] : ctx.name(w);
    ctx.b.node("PRelu", [ctx.name(x), slope], [ctx.out(y)]);
  },
  softsign: unary("Softsign"),
  rsqrt: composite((ctx, x) => ctx.b.node("Reciprocal", ctx.b.node("Sqrt", [x], 1), 1)[0]),
  square: composite((ctx, x) => ctx.b.node("Mul", [x, x], 1)[0]),
  expm1: composite((ctx, x) => ctx.b.node("Sub", [ctx.b.node("Exp", [x], 1)[0], ctx.scalar(1, "float32")], 1)[0]),
  log1p: composite((ctx, x) => ctx.b.node("Log", [ctx.b.node("Add", [x, ctx.scalar(1, "float32")], 1)[0]], 1)[0]),
  trunc: composite((ctx, x) => {
    // trunc(x) = sign(x)·floor(|x|)
    return ctx.b.node("Mul", [ctx.b.node("Sign", [x], 1)[0], ctx.b.node("Floor", ctx.b.node("Abs", [x], 1), 1)[0]], 1)[0];
  }),
  leakyRelu: unary("LeakyRelu", (n) => ({ alpha: { float: num(n, 1, 0.01) } })),
  elu: unary("Elu", (n) => ({ alpha: { float: num(n, 1, 1) } })),
  selu: unary("Selu"),
  gelu: composite((ctx, x, n) => {
    const approx = (arg(n, 1) as { approximate?: string } | undefined)?.approximate ?? "none";
    const half = ctx.scalar(0.5, "float32"), one = ctx.scalar(1, "float32");
    let inner: string;
    if (approx === "tanh") {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const x3 = ctx.b.node("Mul", [x, ctx.b.node("Mul", [x, x], 1)[0]], 1)[0];
      const s = ctx.b.node("Add", [x, ctx.b.node("Mul", [x3, ctx.scalar(0.044715, "float32")], 1)[0]], 1)[0];
      inner = ctx.b.node("Tanh", [ctx.b.node("Mul", [s, ctx.scalar(Math.sqrt(2 / Math.PI), "float32")], 1)[0]], 1)[0];
    } else {
      inner = ctx.b.node("Erf", [ctx.b.node("Mul", [x, ctx.scalar(Math.SQRT1_2, "float32")], 1)[0]], 1)[0];
    }
    return ctx.b.node("Mul", [ctx.b.node("Mul", [x, half], 1)[0], ctx.b.node("Add", [inner, one], 1)[0]], 1)[0];
  }),
  binaryStep: (ctx, n) => {
    // 1 where x > threshold, else 0, in x's dtype.
    const x = tensorArg(n, 0), y = n.outputs[0];
    const gt = ctx.b.node("Greater", [ctx.name(x), ctx.scalar(num(n, 1, 0), x.dtype)], 1)[0];
    ctx.b.node("Cast", [gt], [ctx.out(y)], { to: onnxTypeOf(y.dtype) });
  },
  hardtanh: (ctx, n) => {
    const y = n.outputs[0];
    clip(ctx, ctx.operand(tensorArg(n, 0), y.dtype), y.dtype, num(n, 1, -1), num(n, 2, 1), ctx.out(y));
  },
  clamp: (ctx, n) => {
    const y = n.outputs[0];
    const [lo, hi] = [arg(n, 1), arg(n, 2)];
    let x = ctx.operand(tensorArg(n, 0), y.dtype);
    if (lo instanceof GraphValue || hi instanceof GraphValue) {
      if (lo != null) x = ctx.b.node("Max", [x, ctx.operand(lo, y.dtype)], 1)[0];
      if (hi != null) x = ctx.b.node("Min", [x, ctx.operand(hi, y.dtype)], 1)[0];
      ctx.b.node("Identity", [x], [ctx.out(y)]);
    } else {
      clip(ctx, x, y.dtype, (lo as number | null | undefined) ?? null, (hi as number | null | undefined) ?? null, ctx.out(y));
    }
  },
  where: (ctx, n) => {
    const y = n.outputs[0];
    ctx.b.node("Where", [ctx.operand(arg(n, 0), "bool"), ctx.operand(arg(n, 1), y.dtype), ctx.operand(arg(n, 2), y.dtype)], [ctx.out(y)]);
  },
  cast: (ctx, n) => {
    const y = n.outputs[0];
    ctx.b.node("Identity", [ctx.operand(tensorArg(n, 0), y.dtype)], [ctx.out(y)]);
  },
};
