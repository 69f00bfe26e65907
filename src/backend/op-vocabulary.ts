// The op vocabulary of the kernel contract, written once. Each family lists its ops in code order
// (an op's number in the addons is its index in its list) with the attributes the layers above and
// below rely on. Everything else is derived from this table: the contract's union types
// (backend.ts re-exports them), the predicate / float-result / int32 sets, the addons' op codes
// (addon-abi/codes.ts), and the C++ headers native/src/ops.h and cuda/src/ops.h, which
// scripts/generate-op-headers.ts writes (`npm run generate:ops`; test/backend/op-vocabulary.test.ts
// fails while they are stale). Adding an op: add its row here, regenerate, then implement it in
// every backend (the compiler points at the cpu tables, the C++ switches at the addons').
//
// Attributes:
//   result  what the op writes, as the ops layer allocates it and every backend computes it:
//           "operand" the (promoted) operand dtype; "float" a float dtype — integer operands are
//           computed in float32, as in torch; "bool" a predicate, which writes bool.
//   int32   binary and reduce ops only: the native addon has an int32 kernel (wrapping arithmetic
//           to int32, predicates to bool); other int32 calls run on the cpu backend's kernels.
//           The cuda addon's kernels take every dtype.

export const OP_VOCABULARY = {
  unary: [
    { name: "neg", result: "operand" },
    { name: "abs", result: "operand" },
    { name: "exp", result: "float" },
    { name: "log", result: "float" },
    { name: "sqrt", result: "float" },
    { name: "rsqrt", result: "float" },
    { name: "square", result: "operand" },
    { name: "sin", result: "float" },
    { name: "cos", result: "float" },
    { name: "tan", result: "float" },
    { name: "atan", result: "float" },
    { name: "relu", result: "operand" },
    { name: "sigmoid", result: "float" },
    { name: "tanh", result: "float" },
    { name: "sign", result: "operand" },
    { name: "reciprocal", result: "float" },
    { name: "floor", result: "operand" },
    { name: "ceil", result: "operand" },
    { name: "round", result: "operand" },
    { name: "trunc", result: "operand" },
    { name: "logicalNot", result: "bool" },
    { name: "expm1", result: "float" },
    { name: "log1p", result: "float" },
    { name: "erf", result: "float" },
    { name: "softplus", result: "float" },
    { name: "softsign", result: "float" },
    { name: "gelu", result: "float" },
    { name: "geluTanh", result: "float" },
    { name: "isnan", result: "bool" },
    { name: "isinf", result: "bool" },
  ],
  /**
   * Unary ops with scalar parameters (the addons always take two): x^p (powScalar),
   * clamp(min, max), leakyRelu(slope), elu(alpha, scale) — selu is elu with its constants —,
   * hardtanh(min, max), step(threshold) and affine a·x + b. They write the operand's dtype.
   */
  param: [
    { name: "powScalar" },
    { name: "clamp" },
    { name: "leakyRelu" },
    { name: "elu" },
    { name: "hardtanh" },
    { name: "step" },
    { name: "affine" },
  ],
  binary: [
    { name: "add", result: "operand", int32: true },
    { name: "sub", result: "operand", int32: true },
    { name: "mul", result: "operand", int32: true },
    { name: "div", result: "float", int32: false },
    { name: "pow", result: "operand", int32: false },
    { name: "maximum", result: "operand", int32: true },
    { name: "minimum", result: "operand", int32: true },
    { name: "atan2", result: "float", int32: false },
    { name: "eq", result: "bool", int32: true },
    { name: "ne", result: "bool", int32: true },
    { name: "lt", result: "bool", int32: true },
    { name: "le", result: "bool", int32: true },
    { name: "gt", result: "bool", int32: true },
    { name: "ge", result: "bool", int32: true },
    { name: "logicalAnd", result: "bool", int32: true },
    { name: "logicalOr", result: "bool", int32: true },
    { name: "logicalXor", result: "bool", int32: true },
    /** a·[b > 0]: ReLU's backward (gradient a, ReLU output b) in one pass instead of gt, cast, mul. */
    { name: "reluGrad", result: "operand", int32: false },
  ],
  /** prod has no int32 kernel in the native addon: its float64 product would round past 2^53 (cpu's runs). */
  reduce: [
    { name: "sum", int32: true },
    { name: "prod", int32: false },
    { name: "max", int32: true },
    { name: "min", int32: true },
  ],
  /**
   * Index of the max / min along one axis. The code is the native addon's op number; the cuda
   * addon takes an argmax flag (1 argmax, 0 argmin) instead, and neither C++ header lists them.
   */
  argReduce: [{ name: "argmax" }, { name: "argmin" }],
} as const;

type Vocabulary = typeof OP_VOCABULARY;
export type OpFamily = keyof Vocabulary;

export type UnaryOp = Vocabulary["unary"][number]["name"];
export type ParamUnaryOp = Vocabulary["param"][number]["name"];
export type BinaryOp = Vocabulary["binary"][number]["name"];
export type ReduceOp = Vocabulary["reduce"][number]["name"];
export type ArgReduceOp = Vocabulary["argReduce"][number]["name"];

const names = <T extends { readonly name: string }>(rows: readonly T[]): readonly T["name"][] => Object.freeze(rows.map((r) => r.name));

/** Each family's names in code order (an op's code is its index). */
export const UNARY_OPS: readonly UnaryOp[] = names(OP_VOCABULARY.unary);
export const PARAM_UNARY_OPS: readonly ParamUnaryOp[] = names(OP_VOCABULARY.param);
export const BINARY_OPS: readonly BinaryOp[] = names(OP_VOCABULARY.binary);
export const REDUCE_OPS: readonly ReduceOp[] = names(OP_VOCABULARY.reduce);
export const ARG_REDUCE_OPS: readonly ArgReduceOp[] = names(OP_VOCABULARY.argReduce);

/** Unary predicates (isnan, isinf, logicalNot): they write bool, from an operand of any dtype. */
export const UNARY_PREDICATES: ReadonlySet<UnaryOp> = new Set(names(OP_VOCABULARY.unary.filter((r) => r.result === "bool")));
/** Unary ops that only make sense on floats: integer operands are computed in float32. */
export const UNARY_FLOAT_RESULT: ReadonlySet<UnaryOp> = new Set(names(OP_VOCABULARY.unary.filter((r) => r.result === "float")));
/** Comparisons and logical ops: they write bool. */
export const BINARY_PREDICATES: ReadonlySet<BinaryOp> = new Set(names(OP_VOCABULARY.binary.filter((r) => r.result === "bool")));
/** True division and atan2: integer operands give float32. */
export const BINARY_FLOAT_RESULT: ReadonlySet<BinaryOp> = new Set(names(OP_VOCABULARY.binary.filter((r) => r.result === "float")));
/** Binary ops the native addon computes on int32 operands. */
export const INT32_BINARY: ReadonlySet<BinaryOp> = new Set(names(OP_VOCABULARY.binary.filter((r) => r.int32)));
/** Reductions the native addon computes on int32. */
export const INT32_REDUCE: ReadonlySet<ReduceOp> = new Set(names(OP_VOCABULARY.reduce.filter((r) => r.int32)));
