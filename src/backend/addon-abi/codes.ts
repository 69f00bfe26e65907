// Op codes of the native addon: each op's index in these lists is its number on the C++ side
// (native/src/ops.h lists them in the same order; the loader checks the two agree).

import type { BinaryOp, ParamUnaryOp, ReduceOp, UnaryOp } from "../backend.js";
import type { DType } from "../../core/dtype.js";

export const UNARY_CODES: readonly UnaryOp[] = [
  "neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "atan", "relu", "sigmoid",
  "tanh", "sign", "reciprocal", "floor", "ceil", "round", "trunc", "logicalNot", "expm1", "log1p", "erf",
  "softplus", "softsign", "gelu", "geluTanh", "isnan", "isinf",
];

export const PARAM_CODES: readonly ParamUnaryOp[] = ["powScalar", "clamp", "leakyRelu", "elu", "hardtanh", "step", "affine"];

export const BINARY_CODES: readonly BinaryOp[] = [
  "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "eq", "ne", "lt", "le", "gt", "ge",
  "logicalAnd", "logicalOr", "logicalXor", "reluGrad",
];

export const REDUCE_CODES: readonly ReduceOp[] = ["sum", "prod", "max", "min"];

const index = <T extends string>(list: readonly T[]): Record<T, number> =>
  Object.fromEntries(list.map((name, i) => [name, i])) as Record<T, number>;

export const UNARY = index(UNARY_CODES);
export const PARAM = index(PARAM_CODES);
export const BINARY = index(BINARY_CODES);
export const REDUCE = index(REDUCE_CODES);

export const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };

/** Unary ops the addon can write as bool (the predicates); the others write float32. */
export const UNARY_BOOL_OUT = new Set<UnaryOp>(["isnan", "isinf", "logicalNot"]);
/** Binary ops that write bool; the rest are float32 arithmetic. */
export const BINARY_PREDICATES = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor"]);

/** argReduce's op number. */
export const ARG_REDUCE: Record<"argmax" | "argmin", number> = { argmax: 0, argmin: 1 };
/** Binary ops the addon computes on int32 operands (wrapping arithmetic to int32, the predicates to bool). */
export const INT32_BINARY = new Set<BinaryOp>(["add", "sub", "mul", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor"]);
/** Reductions the addon computes on int32 (prod's float64 product rounds past 2^53: cpu's). */
export const INT32_REDUCE = new Set<ReduceOp>(["sum", "max", "min"]);
