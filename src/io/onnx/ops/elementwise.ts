// Elementwise ONNX operators: arithmetic with numpy broadcasting (nabla's rules), comparisons and
// logic, unary math, activations (HardSigmoid, HardSwish and the like composed from nabla's ops),
// Clip, Where, Cast, Identity and Dropout (inference: identity).

import type { Tensor } from "../../../tensor/tensor.js";
import {
  abs, add, ceil, clamp, div, elu, eq, erf, exp, floor, gt, lt, le, ge, leakyRelu, log, logicalAnd, logicalNot, logicalOr, logicalXor,
  maximum, minimum, mul, neg, pow, reciprocal, relu, round, selu, sigmoid, sign, sin, cos, softplus, softsign, sqrt, sub, tanh, trunc, where, cast, isnan,
  isinf, tan, atan,
} from "../../../ops/elementwise.js";
import { prelu } from "../../../nn/activation.js";
import { reshape } from "../../../ops/view.js";
import { dtypeOfOnnx } from "../tensor-proto.js";
import type { OpHandler } from "./registry.js";

const unary = (f: (x: Tensor) => Tensor): OpHandler => ({ run: ([x]) => f(x!) });

/** ONNX binary ops keep the operands' type: integer division truncates, as in C. */
const binary = (f: (a: Tensor, b: Tensor) => Tensor): OpHandler => ({ run: ([a, b]) => f(a!, b!) });

function onnxDiv(a: Tensor, b: Tensor): Tensor {
  const q = div(a, b);
  return a.dtype === "int32" && b.dtype === "int32" ? cast(trunc(q), "int32") : q;
}

/** max/min over any number of inputs. */
const variadic = (f: (a: Tensor, b: Tensor) => Tensor): OpHandler => ({
  run: (ins) => ins.filter((t): t is Tensor => t !== null).reduce((acc, t) => f(acc, t)),
});

function hardSigmoid(x: Tensor, alpha: number, beta: number): Tensor {
  return clamp(add(mul(x, alpha), beta), 0, 1);
}

export const ELEMENTWISE_OPS: Record<string, OpHandler> = {
  Add: binary(add), Sub: binary(sub), Mul: binary(mul), Div: binary(onnxDiv),
  Pow: { run: ([a, b]) => { const y = pow(a!, b!.dtype === a!.dtype ? b! : cast(b!, a!.dtype)); return y.dtype === a!.dtype ? y : cast(y, a!.dtype); } },
  Max: variadic(maximum), Min: variadic(minimum), Sum: variadic(add),
  Mean: { run: (ins) => { const xs = ins.filter((t): t is Tensor => t !== null); return div(xs.reduce((a, t) => add(a, t)), xs.length); } },
  Equal: binary(eq), Less: binary(lt), Greater: binary(gt), LessOrEqual: binary(le), GreaterOrEqual: binary(ge),
  IsInf: {
    check: (a) => {
      if (a.int("detect_negative", 1) !== 1 || a.int("detect_positive", 1) !== 1) throw new Error("IsInf detecting one sign only");
    },
    run: ([x]) => isinf(x!),
  },
  Tan: unary(tan), Atan: unary(atan),
  PRelu: {
    // ONNX broadcasts the slope from the right ([C, 1, 1] per channel); nabla's prelu wants [C] or [1].
    run: ([x, slope]) => (slope!.numel() === 1 || slope!.shape[0] === slope!.numel() ? prelu(x!, reshape(slope!, [slope!.numel()])) : where(gt(x!, 0), x!, mul(x!, slope!))),
  },
  And: binary(logicalAnd), Or: binary(logicalOr), Xor: binary(logicalXor), Not: unary(logicalNot), IsNaN: unary(isnan),
  Sqrt: unary(sqrt), Neg: unary(neg), Abs: unary(abs), Exp: unary(exp), Log: unary(log), Reciprocal: unary(reciprocal),
  Floor: unary(floor), Ceil: unary(ceil), Round: unary(round), Sign: unary(sign), Erf: unary(erf), Sin: unary(sin), Cos: unary(cos),
  Relu: unary(relu), Sigmoid: unary(sigmoid), Tanh: unary(tanh), Softplus: unary(softplus), Softsign: unary(softsign),
  LeakyRelu: { run: ([x], a) => leakyRelu(x!, a.float("alpha", 0.01)) },
  Elu: { run: ([x], a) => elu(x!, a.float("alpha", 1)) },
  Selu: {
    run: ([x], a) => (a.has("alpha") || a.has("gamma") ? mul(elu(x!, a.float("alpha", 1.67326319217681884765625)), a.float("gamma", 1.05070102214813232421875)) : selu(x!)),
  },
  HardSigmoid: { run: ([x], a) => hardSigmoid(x!, a.float("alpha", 0.2), a.float("beta", 0.5)) },
  HardSwish: { run: ([x]) => mul(x!, hardSigmoid(x!, 1 / 6, 0.5)) },
  Clip: {
    run: ([x, lo, hi], a, ctx) => {
      if (ctx.opset < 11) return clamp(x!, a.has("min") ? a.float("min", 0) : null, a.has("max") ? a.float("max", 0) : null);
      return clamp(x!, lo ? lo.item() : null, hi ? hi.item() : null);
    },
  },
  Where: { run: ([c, x, y]) => where(c!, x!, y!) },
  Cast: { run: ([x], a) => { const d = dtypeOfOnnx(a.int("to", 1), "Cast"); return x!.dtype === d ? x! : cast(x!, d); } },
  Identity: unary((x) => x),
  Dropout: { run: ([x]) => [x, null] },
};
