// Op codes of the addons, derived from the op vocabulary (../op-vocabulary.ts): an op's number is
// its index in its family's list there. native/src/ops.h and cuda/src/ops.h are generated from the
// same table (scripts/generate-op-headers.ts); the loaders compare the names a compiled addon
// reports with these lists, which catches an addon built before the table changed.

import type { DType } from "../../core/dtype.js";
import { ARG_REDUCE_OPS, BINARY_OPS, PARAM_UNARY_OPS, REDUCE_OPS, UNARY_OPS } from "../op-vocabulary.js";

export { BINARY_PREDICATES, INT32_BINARY, INT32_REDUCE } from "../op-vocabulary.js";
/** Unary ops the addon can write as bool (the predicates); the others write float32. */
export { UNARY_PREDICATES as UNARY_BOOL_OUT } from "../op-vocabulary.js";

export const UNARY_CODES = UNARY_OPS;
export const PARAM_CODES = PARAM_UNARY_OPS;
export const BINARY_CODES = BINARY_OPS;
export const REDUCE_CODES = REDUCE_OPS;

const index = <T extends string>(list: readonly T[]): Readonly<Record<T, number>> =>
  Object.freeze(Object.fromEntries(list.map((name, i) => [name, i])) as Record<T, number>);

export const UNARY = index(UNARY_OPS);
export const PARAM = index(PARAM_UNARY_OPS);
export const BINARY = index(BINARY_OPS);
export const REDUCE = index(REDUCE_OPS);
/** argReduce's op number on the native addon (the cuda addon takes an argmax flag). */
export const ARG_REDUCE = index(ARG_REDUCE_OPS);

export const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };
