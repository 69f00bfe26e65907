// Elementwise ops with their gradients: arithmetic with NumPy broadcasting, comparisons, unary
// math and activations, where/clamp, and the in-place forms optimizers use.

import type { BinaryOp, ParamUnaryOp, UnaryOp } from "../backend/backend.js";
import { BINARY_FLOAT_RESULT, BINARY_PREDICATES, UNARY_FLOAT_RESULT, UNARY_PREDICATES } from "../backend/op-vocabulary.js";
import { isFloating, type DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { broadcastShapes, formatShape, shapesEqual } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import {
  type TensorLike, asTensor, assertTensor, broadcastPair, broadcastView, bumpVersion, commonBackend, empty, resultType,
} from "./util.js";
import { traceable } from "../graph/recorder.js";

// ---------------------------------------------------------------------------------------------
// binary

function binaryForward(op: BinaryOp, a: TensorLike, b: TensorLike, computeType?: DType): Tensor {
  const name = op;
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${name}: at least one operand must be a Tensor`);
  const backend = commonBackend(name, a instanceof Tensor ? assertTensor(name, a) : null, b instanceof Tensor ? assertTensor(name, b, "other") : null);
  let dt = computeType ?? resultType(a, b);
  // True division and atan2 produce floats from integers, as in torch.
  if (BINARY_FLOAT_RESULT.has(op) && !isFloating(dt)) dt = "float32";
  const ta = asTensor(a, dt, backend, name);
  const tb = asTensor(b, dt, backend, name);
  const shape = broadcastPair(name, ta, tb);
  const out = empty(shape, BINARY_PREDICATES.has(op) ? "bool" : dt, backend);
  backend.binary(op, broadcastView(ta, shape), broadcastView(tb, shape), out.raw());
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
}

const scaled = (x: TensorLike, alpha: number): TensorLike => (x instanceof Tensor ? mul(x, alpha) : Number(x) * alpha);

const tensorOrNull = (x: TensorLike): Tensor | null => (x instanceof Tensor ? x : null);

export const add = traceable("add", function add(a: TensorLike, b: TensorLike, opts?: { alpha?: number }): Tensor {
  if (opts?.alpha !== undefined && opts.alpha !== 1) return add(a, scaled(b, opts.alpha));
  const out = binaryForward("add", a, b);
  return record("AddBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g) => [g, g]);
});

export const sub = traceable("sub", function sub(a: TensorLike, b: TensorLike, opts?: { alpha?: number }): Tensor {
  if (opts?.alpha !== undefined && opts.alpha !== 1) return sub(a, scaled(b, opts.alpha));
  if ((a instanceof Tensor || b instanceof Tensor) && resultType(a, b) === "bool") {
    throw new TypeError("sub: subtracting bools (tensors or true/false) is not supported; use logicalXor or cast with .to(\"int32\")");
  }
  const out = binaryForward("sub", a, b);
  return record("SubBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, _s, needs) => [g, needs[1] ? neg(g) : null]);
});

export const mul = traceable("mul", function mul(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryForward("mul", a, b);
  const ops = operands(a, b);
  return record("MulBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, s, needs) => {
    const [av, bv] = ops.restore(s);
    return [needs[0] ? mul(g, bv) : null, needs[1] ? mul(g, av) : null];
  }, ops.saved);
});

export const div = traceable("div", function div(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryForward("div", a, b);
  const ops = operands(a, b);
  return record("DivBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, s, needs) => {
    const [av, bv] = ops.restore(s);
    return [needs[0] ? div(g, bv) : null, needs[1] ? neg(div(mul(g, av), mul(bv, bv))) : null];
  }, ops.saved);
});

/** a^b elementwise (b may be a tensor or a number). */
export const pow = traceable("pow", function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b !== "object") return powScalar(a, Number(b));
  const out = binaryForward("pow", a, b);
  const ops = operands(a, b);
  return record("PowBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, s, needs) => {
    const y = s[s.length - 1];
    const [av, bv] = ops.restore(s);
    // torch's conventions at a = 0: d/da = b·a^(b−1) is 0 where b = 0 (not 0·∞), and
    // d/db = a^b·ln a is 0 where a = 0 and b ≥ 0 (not 0·(−∞)); for b < 0 it stays ∞·(−∞) = −∞.
    const dA = (): Tensor => {
      const e = bv as Tensor;
      return mul(g, where(eq(e, 0), 0, mul(e, pow(av, sub(e, 1)))));
    };
    const dB = (): Tensor => {
      const e = bv as Tensor;
      if (!(av instanceof Tensor)) {
        const base = Number(av);
        return mul(g, base === 0 ? where(ge(e, 0), 0, mul(y, -Infinity)) : mul(y, Math.log(base)));
      }
      return mul(g, where(logicalAnd(eq(av, 0), ge(e, 0)), 0, mul(y, log(av))));
    };
    return [needs[0] ? dA() : null, needs[1] ? dB() : null];
  }, [...ops.saved, out]);
});

function powScalar(x: Tensor, p: number): Tensor {
  if (!Number.isInteger(p) && !isFloating(x.dtype)) x = x.to("float32");
  const out = paramUnaryForward("powScalar", x, [p], x.dtype);
  return record("PowBackward", [x], out, (g, [sx]) => [p === 0 ? mul(g, 0) : mul(g, mul(powScalar(sx, p - 1), p))], [x]);
}

export const maximum = traceable("maximum", function maximum(a: Tensor, b: TensorLike): Tensor {
  return minMax("maximum", a, b);
});
export const minimum = traceable("minimum", function minimum(a: Tensor, b: TensorLike): Tensor {
  return minMax("minimum", a, b);
});
function minMax(op: "maximum" | "minimum", a: TensorLike, b: TensorLike): Tensor {
  const out = binaryForward(op, a, b);
  const ops = operands(a, b);
  return record(op === "maximum" ? "MaximumBackward" : "MinimumBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, s, needs) => {
    const [av, bv] = ops.restore(s);
    // The winner takes the gradient; ties split it evenly, as torch does.
    const aWins = op === "maximum" ? gt(av, bv) : lt(av, bv);
    const tie = mul(eq(av, bv), 0.5);
    const wa = add(aWins, tie);
    return [needs[0] ? mul(g, wa) : null, needs[1] ? mul(g, sub(1, wa)) : null];
  }, ops.saved);
}

export const atan2 = traceable("atan2", function atan2(a: Tensor, b: TensorLike): Tensor {
  const out = binaryForward("atan2", a, b);
  const ops = operands(a, b);
  return record("Atan2Backward", [a, tensorOrNull(b)], out, (g, s, needs) => {
    const [av, bv] = ops.restore(s);
    const denom = add(mul(av, av), bv instanceof Tensor ? mul(bv, bv) : Number(bv) * Number(bv));
    return [needs[0] ? div(mul(g, bv), denom) : null, needs[1] ? neg(div(mul(g, av), denom)) : null];
  }, ops.saved);
});

/**
 * Binary rules save their tensor operands; numbers stay in the closure. restore() gives the
 * operands back in order from the saved aliases.
 */
function operands(a: TensorLike, b: TensorLike): { saved: Tensor[]; restore: (s: Tensor[]) => [TensorLike, TensorLike] } {
  const aNum = a instanceof Tensor ? null : a;
  const bNum = b instanceof Tensor ? null : b;
  const saved = [a, b].filter((x): x is Tensor => x instanceof Tensor);
  return {
    saved,
    restore: (s) => {
      let i = 0;
      const ra = aNum === null ? s[i++] : aNum;
      const rb = bNum === null ? s[i++] : bNum;
      return [ra, rb];
    },
  };
}

// comparisons and logic: bool results, no gradient
export const eq = traceable("eq", (a: TensorLike, b: TensorLike): Tensor => binaryForward("eq", a, b));
export const ne = traceable("ne", (a: TensorLike, b: TensorLike): Tensor => binaryForward("ne", a, b));
export const lt = traceable("lt", (a: TensorLike, b: TensorLike): Tensor => binaryForward("lt", a, b));
export const le = traceable("le", (a: TensorLike, b: TensorLike): Tensor => binaryForward("le", a, b));
export const gt = traceable("gt", (a: TensorLike, b: TensorLike): Tensor => binaryForward("gt", a, b));
export const ge = traceable("ge", (a: TensorLike, b: TensorLike): Tensor => binaryForward("ge", a, b));
export const logicalAnd = traceable("logicalAnd", (a: TensorLike, b: TensorLike): Tensor => binaryForward("logicalAnd", a, b));
export const logicalOr = traceable("logicalOr", (a: TensorLike, b: TensorLike): Tensor => binaryForward("logicalOr", a, b));
export const logicalXor = traceable("logicalXor", (a: TensorLike, b: TensorLike): Tensor => binaryForward("logicalXor", a, b));

// ---------------------------------------------------------------------------------------------
// unary

function unaryForward(op: UnaryOp, x: Tensor, outType?: DType): Tensor {
  assertTensor(op, x);
  // Float-only ops compute integer inputs in float32, as in torch; predicates read any dtype.
  const dt = outType ?? (UNARY_FLOAT_RESULT.has(op) && !isFloating(x.dtype) ? "float32" : x.dtype);
  const src = x.dtype === dt || UNARY_PREDICATES.has(op) ? x : x.to(dt);
  const out = empty(x.shape, dt, x.backend);
  x.backend.unary(op, src.raw(), out.raw());
  if (src !== x) src.dispose();
  return out;
}

function paramUnaryForward(op: ParamUnaryOp, x: Tensor, params: number[], dt: DType = x.dtype): Tensor {
  assertTensor(op, x);
  const out = empty(x.shape, dt, x.backend);
  x.backend.paramUnary(op, x.raw(), out.raw(), params);
  return out;
}

type UnaryGrad = (g: Tensor, x: Tensor, y: Tensor) => Tensor;

function defineUnary(op: UnaryOp, nodeName: string, grad: UnaryGrad | null, saves: "x" | "y" | "both" = "x") {
  return (x: Tensor): Tensor => {
    const y = unaryForward(op, x);
    if (grad === null) return y;
    const saved = saves === "x" ? [x, x] : saves === "y" ? [y, y] : [x, y];
    return record(nodeName, [x], y, (g, [sx, sy]) => [grad(g, sx, sy)], saved);
  };
}

const zeroGrad: UnaryGrad = (g) => mul(g, 0);

const neg_ = defineUnary("neg", "NegBackward", (g) => neg(g));
export const neg = traceable("neg", function neg(x: Tensor): Tensor {
  if (assertTensor("neg", x).dtype === "bool") {
    throw new TypeError("neg: negating a bool tensor is not supported; use logicalNot (or ~ in torch) to invert a mask");
  }
  return neg_(x);
});
export const abs = traceable("abs", defineUnary("abs", "AbsBackward", (g, x) => mul(g, sign(x))));
export const exp = traceable("exp", defineUnary("exp", "ExpBackward", (g, _x, y) => mul(g, y), "y"));
export const log = traceable("log", defineUnary("log", "LogBackward", (g, x) => div(g, x)));
export const sqrt = traceable("sqrt", defineUnary("sqrt", "SqrtBackward", (g, _x, y) => div(g, mul(y, 2)), "y"));
export const rsqrt = traceable("rsqrt", defineUnary("rsqrt", "RsqrtBackward", (g, _x, y) => mul(g, mul(powScalar(y, 3), -0.5)), "y"));
export const square = traceable("square", defineUnary("square", "SquareBackward", (g, x) => mul(g, mul(x, 2))));
export const sin: (x: Tensor) => Tensor = traceable("sin", defineUnary("sin", "SinBackward", (g, x) => mul(g, cos(x))));
export const cos: (x: Tensor) => Tensor = traceable("cos", defineUnary("cos", "CosBackward", (g, x) => neg(mul(g, sin(x)))));
export const tan = traceable("tan", defineUnary("tan", "TanBackward", (g, _x, y) => mul(g, add(mul(y, y), 1)), "y"));
export const atan = traceable("atan", defineUnary("atan", "AtanBackward", (g, x) => div(g, add(mul(x, x), 1))));
/** ReLU's backward, g·[y > 0], in one kernel pass (backward rules run without recording, so it needs no gradient). */
const reluGrad = (g: Tensor, y: Tensor): Tensor => binaryForward("reluGrad", g, y);

export const relu = traceable("relu", defineUnary("relu", "ReluBackward", (g, _x, y) => reluGrad(g, y), "y"));
export const sigmoid = traceable("sigmoid", defineUnary("sigmoid", "SigmoidBackward", (g, _x, y) => mul(g, mul(y, sub(1, y))), "y"));
export const tanh = traceable("tanh", defineUnary("tanh", "TanhBackward", (g, _x, y) => mul(g, sub(1, mul(y, y))), "y"));
export const sign = traceable("sign", defineUnary("sign", "SignBackward", zeroGrad));
export const reciprocal = traceable("reciprocal", defineUnary("reciprocal", "ReciprocalBackward", (g, _x, y) => neg(mul(g, mul(y, y))), "y"));
export const floor = traceable("floor", defineUnary("floor", "FloorBackward", zeroGrad));
export const ceil = traceable("ceil", defineUnary("ceil", "CeilBackward", zeroGrad));
export const round = traceable("round", defineUnary("round", "RoundBackward", zeroGrad));
export const trunc = traceable("trunc", defineUnary("trunc", "TruncBackward", zeroGrad));
export const expm1 = traceable("expm1", defineUnary("expm1", "Expm1Backward", (g, _x, y) => mul(g, add(y, 1)), "y"));
export const log1p = traceable("log1p", defineUnary("log1p", "Log1pBackward", (g, x) => div(g, add(x, 1))));
export const erf = traceable("erf", defineUnary("erf", "ErfBackward", (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))));
export const softplus = traceable("softplus", defineUnary("softplus", "SoftplusBackward", (g, x) => mul(g, sigmoid(x))));
export const softsign = traceable("softsign", defineUnary("softsign", "SoftsignBackward", (g, x) => div(g, square(add(abs(x), 1)))));
export const logicalNot = traceable("logicalNot", (x: Tensor): Tensor => unaryForward("logicalNot", x, "bool"));
export const isnan = traceable("isnan", (x: Tensor): Tensor => unaryForward("isnan", x, "bool"));
export const isinf = traceable("isinf", (x: Tensor): Tensor => unaryForward("isinf", x, "bool"));

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const gelu_ = defineUnary("gelu", "GeluBackward", (g, x) => {
  // d/dx x·Φ(x) = Φ(x) + x·φ(x)
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);
  return mul(g, add(cdf, mul(x, pdf)));
});
const geluTanh_ = defineUnary("geluTanh", "GeluBackward", (g, x) => {
  const k = Math.sqrt(2 / Math.PI);
  const inner = mul(add(x, mul(powScalar(x, 3), 0.044715)), k);
  const t = tanh(inner);
  const dInner = mul(add(mul(mul(x, x), 3 * 0.044715), 1), k);
  return mul(g, add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), dInner)));
});
/** GELU, exact (erf) by default or with the tanh approximation, as torch's approximate option. */
export const gelu = traceable("gelu", function gelu(x: Tensor, opts: { approximate?: "none" | "tanh" } = {}): Tensor {
  return opts.approximate === "tanh" ? geluTanh_(x) : gelu_(x);
});

function defineParamUnary(op: ParamUnaryOp, nodeName: string, grad: ((g: Tensor, x: Tensor, y: Tensor, p: number[]) => Tensor) | null) {
  return (x: Tensor, params: number[]): Tensor => {
    if (!isFloating(x.dtype) && op !== "clamp" && op !== "affine") x = x.to("float32");
    const y = paramUnaryForward(op, x, params);
    if (grad === null) return y;
    return record(nodeName, [x], y, (g, [sx, sy]) => [grad(g, sx, sy, params)], [x, y]);
  };
}

const leakyRelu_ = defineParamUnary("leakyRelu", "LeakyReluBackward", (g, x, _y, [a]) => mul(g, where(gt(x, 0), 1, a)));
const elu_ = defineParamUnary("elu", "EluBackward", (g, x, y, [a, s]) => mul(g, where(gt(x, 0), s, add(y, s * a))));
const hardtanh_ = defineParamUnary("hardtanh", "HardtanhBackward", (g, x, _y, [lo, hi]) => mul(g, logicalAnd(gt(x, lo), lt(x, hi))));
const step_ = defineParamUnary("step", "StepBackward", (g) => mul(g, 0));
const clampBoth = defineParamUnary("clamp", "ClampBackward", (g, x, _y, [lo, hi]) => mul(g, logicalAnd(ge(x, lo), le(x, hi))));

export const leakyRelu = traceable("leakyRelu", (x: Tensor, negativeSlope = 0.01): Tensor => leakyRelu_(x, [negativeSlope]));
export const elu = traceable("elu", (x: Tensor, alpha = 1): Tensor => elu_(x, [alpha, 1]));
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
export const selu = traceable("selu", (x: Tensor): Tensor => elu_(x, [SELU_ALPHA, SELU_SCALE]));
export const hardtanh = traceable("hardtanh", (x: Tensor, minVal = -1, maxVal = 1): Tensor => hardtanh_(x, [minVal, maxVal]));
/** Heaviside step: 1 where x > threshold, else 0; its gradient is zero everywhere. */
export const binaryStep = traceable("binaryStep", (x: Tensor, threshold = 0): Tensor => step_(x, [threshold]));

/** Clamp to [min, max]; either bound may be omitted (null/undefined), or be a tensor. */
export const clamp = traceable("clamp", function clamp(x: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor {
  assertTensor("clamp", x);
  if (min == null && max == null) throw new TypeError("clamp: at least one of min and max must be given");
  if (min instanceof Tensor || max instanceof Tensor) {
    let y = x;
    if (min != null) y = maximum(y, min);
    if (max != null) y = minimum(y, max);
    return y;
  }
  // A fractional bound makes an integer input's result floating point, as torch's type promotion does.
  if (!isFloating(x.dtype) && [min, max].some((v) => v != null && !Number.isInteger(v))) x = x.to("float32");
  if (min != null && max != null && min > max) {
    // torch sets every element to max in this case; we follow it.
    return clampBoth(x, [max, max]);
  }
  return clampBoth(x, [min ?? -Infinity, max ?? Infinity]);
});

// ---------------------------------------------------------------------------------------------
// where

/** Elements of a where cond is true, else of b (all broadcast together). */
export const where = traceable("where", function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertTensor("where", cond, "condition");
  if (cond.dtype !== "bool") throw new TypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  const backend = commonBackend("where", cond, tensorOrNull(a), tensorOrNull(b));
  const dt = resultType(a, b);
  const ta = asTensor(a, dt, backend, "where"), tb = asTensor(b, dt, backend, "where");
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, ta.shape), tb.shape);
  const out = empty(shape, dt, backend);
  backend.where(broadcastView(cond, shape), broadcastView(ta, shape), broadcastView(tb, shape), out.raw());
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return record("WhereBackward", [tensorOrNull(a), tensorOrNull(b)], out, (g, [c], needs) => [
    needs[0] ? where(c, g, 0) : null,
    needs[1] ? where(c, 0, g) : null,
  ], [cond]);
});

// ---------------------------------------------------------------------------------------------
// in place (for optimizers and initialisers: not recorded by autograd)

function assertInPlaceAllowed(op: string, t: Tensor, other?: TensorLike): void {
  assertTensor(op, t);
  if (isGradEnabled() && (t.requiresGrad || (other instanceof Tensor && other.requiresGrad))) {
    throw new Error(
      `${op}: in-place operations on tensors that require grad are not recorded by autograd; ` +
        `run them inside nb.noGrad(() => ...) (as optimizers do) or use the out-of-place ${op.slice(0, -1)}`,
    );
  }
}

function inPlaceBinary(op: BinaryOp, name: string, t: Tensor, other: TensorLike): Tensor {
  assertInPlaceAllowed(name, t, other);
  const backend = commonBackend(name, t, tensorOrNull(other));
  const o = asTensor(other, t.dtype, backend, name);
  const shape = broadcastPair(name, t, o);
  if (!shapesEqual(shape, t.shape)) {
    throw new RangeError(`${name}: the result shape ${formatShape(shape)} does not match the tensor being updated ${formatShape(t.shape)}`);
  }
  if (!isFloating(t.dtype) && (op === "div" || (typeof other === "number" && !Number.isInteger(other)))) {
    throw new TypeError(`${name}: the result is floating point and cannot be stored in place in a ${t.dtype} tensor`);
  }
  backend.binary(op, t.raw(), broadcastView(o, shape), t.raw());
  if (o !== other) o.dispose();
  bumpVersion(t);
  return t;
}

// In-place ops are traceable too: graph capture (nb.compile) replays their writes.
export const add_ = traceable("add_", (t: Tensor, o: TensorLike, opts?: { alpha?: number }): Tensor =>
  opts?.alpha !== undefined && opts.alpha !== 1 ? inPlaceBinary("add", "add_", t, mulScalarNoGrad(o, opts.alpha)) : inPlaceBinary("add", "add_", t, o));
export const sub_ = traceable("sub_", (t: Tensor, o: TensorLike, opts?: { alpha?: number }): Tensor =>
  opts?.alpha !== undefined && opts.alpha !== 1 ? inPlaceBinary("sub", "sub_", t, mulScalarNoGrad(o, opts.alpha)) : inPlaceBinary("sub", "sub_", t, o));
export const mul_ = traceable("mul_", (t: Tensor, o: TensorLike): Tensor => inPlaceBinary("mul", "mul_", t, o));
export const div_ = traceable("div_", (t: Tensor, o: TensorLike): Tensor => inPlaceBinary("div", "div_", t, o));
export const maximum_ = traceable("maximum_", (t: Tensor, o: TensorLike): Tensor => inPlaceBinary("maximum", "maximum_", t, o));

function mulScalarNoGrad(o: TensorLike, alpha: number): TensorLike {
  return o instanceof Tensor ? binaryForward("mul", o, alpha) : (o as number) * alpha;
}

/** t ← t + value·a·b (torch.addcmul_). */
export const addcmul_ = traceable("addcmul_", function addcmul_(t: Tensor, a: Tensor, b: Tensor, value = 1): Tensor {
  const prod = binaryForward("mul", a, b);
  const scaled = value === 1 ? prod : binaryForward("mul", prod, value);
  inPlaceBinary("add", "addcmul_", t, scaled);
  prod.dispose();
  scaled.dispose();
  return t;
});

/** t ← t + value·a/b (torch.addcdiv_). */
export const addcdiv_ = traceable("addcdiv_", function addcdiv_(t: Tensor, a: Tensor, b: Tensor, value = 1): Tensor {
  const q = binaryForward("div", a, b);
  const scaled = value === 1 ? q : binaryForward("mul", q, value);
  inPlaceBinary("add", "addcdiv_", t, scaled);
  q.dispose();
  scaled.dispose();
  return t;
});

export const fill_ = traceable("fill_", function fill_(t: Tensor, value: number): Tensor {
  assertInPlaceAllowed("fill_", t);
  t.backend.fill(t.raw(), value);
  bumpVersion(t);
  return t;
});
export const zero_ = traceable("zero_", (t: Tensor): Tensor => fill_(t, 0));

/** Copy src's values into t (broadcasting src, casting its dtype). */
export const copy_ = traceable("copy_", function copy_(t: Tensor, src: Tensor): Tensor {
  assertInPlaceAllowed("copy_", t, src);
  commonBackend("copy_", t, src);
  const shape = broadcastPair("copy_", t, src);
  if (!shapesEqual(shape, t.shape)) throw new RangeError(`copy_: source of shape ${formatShape(src.shape)} cannot be broadcast to ${formatShape(t.shape)}`);
  t.backend.copy(broadcastView(src, shape), t.raw());
  bumpVersion(t);
  return t;
});

export const clamp_ = traceable("clamp_", function clamp_(t: Tensor, min?: number | null, max?: number | null): Tensor {
  assertInPlaceAllowed("clamp_", t);
  t.backend.paramUnary("clamp", t.raw(), t.raw(), [min ?? -Infinity, max ?? Infinity]);
  bumpVersion(t);
  return t;
});

// ---------------------------------------------------------------------------------------------
// dtype conversion (differentiable between float types)

/** A copy in another dtype (or t itself when it already has it). */
export const cast = traceable("cast", function cast(t: Tensor, dtype: DType): Tensor {
  assertTensor("to", t);
  if (t.dtype === dtype) return t;
  const out = empty(t.shape, dtype, t.backend);
  t.backend.copy(t.raw(), out.raw());
  if (!isFloating(dtype)) return out;
  return record("ToCopyBackward", [t], out, (g) => [g]);
});

// ---------------------------------------------------------------------------------------------
// methods

declare module "../tensor/tensor.js" {
  interface Tensor {
    add(other: TensorLike, opts?: { alpha?: number }): Tensor;
    sub(other: TensorLike, opts?: { alpha?: number }): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    atan2(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    logicalAnd(other: TensorLike): Tensor;
    logicalOr(other: TensorLike): Tensor;
    logicalXor(other: TensorLike): Tensor;
    logicalNot(): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    atan(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    sign(): Tensor;
    reciprocal(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    trunc(): Tensor;
    expm1(): Tensor;
    log1p(): Tensor;
    erf(): Tensor;
    isnan(): Tensor;
    isinf(): Tensor;
    clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor;
    where(cond: Tensor, other: TensorLike): Tensor;
    add_(other: TensorLike, opts?: { alpha?: number }): Tensor;
    sub_(other: TensorLike, opts?: { alpha?: number }): Tensor;
    mul_(other: TensorLike): Tensor;
    div_(other: TensorLike): Tensor;
    addcmul_(a: Tensor, b: Tensor, value?: number): Tensor;
    addcdiv_(a: Tensor, b: Tensor, value?: number): Tensor;
    clamp_(min?: number | null, max?: number | null): Tensor;
    fill_(value: number): Tensor;
    zero_(): Tensor;
    copy_(src: Tensor): Tensor;
  }
}

const binaryMethods = { add, sub, mul, div, pow, maximum, minimum, atan2, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, add_, sub_, mul_, div_ };
for (const [name, fn] of Object.entries(binaryMethods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, other: TensorLike, opts?: { alpha?: number }) {
      return (fn as (a: Tensor, b: TensorLike, o?: { alpha?: number }) => Tensor)(this, other, opts);
    },
    writable: true,
    configurable: true,
  });
}
const unaryMethods = {
  neg, abs, exp, log, sqrt, rsqrt, square, sin, cos, tan, atan, relu, sigmoid, tanh, sign, reciprocal, floor, ceil, round,
  trunc, expm1, log1p, erf, isnan, isinf, logicalNot, zero_,
};
for (const [name, fn] of Object.entries(unaryMethods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor) {
      return (fn as (x: Tensor) => Tensor)(this);
    },
    writable: true,
    configurable: true,
  });
}
Tensor.prototype.clamp = function (min, max) { return clamp(this, min, max); };
Tensor.prototype.where = function (cond, other) { return where(cond, this, other); };
Tensor.prototype.addcmul_ = function (a, b, value) { return addcmul_(this, a, b, value); };
Tensor.prototype.addcdiv_ = function (a, b, value) { return addcdiv_(this, a, b, value); };
Tensor.prototype.clamp_ = function (min, max) { return clamp_(this, min, max); };
Tensor.prototype.fill_ = function (value) { return fill_(this, value); };
Tensor.prototype.copy_ = function (src) { return copy_(this, src); };
