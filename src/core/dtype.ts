// Element types nabla knows, their typed-array storage, and PyTorch's promotion rules.

export type DType = "float32" | "float64" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The typed array that stores one dtype (bool is one byte per element, 0 or 1). */
export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(size);
    case "float64": return new Float64Array(size);
    case "int32": return new Int32Array(size);
    case "bool": return new Uint8Array(size);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

export function isFloating(d: DType): boolean {
  return d === "float32" || d === "float64";
}

export function assertDType(d: unknown, where: string): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new TypeError(`${where}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The dtype two tensors promote to (bool < int32 < float32 < float64), as torch.result_type. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype of `tensor op scalar`: a JavaScript number is a "weak" operand, as a Python scalar is
 * in PyTorch — it only lifts the category (bool → integer → floating), never the width.
 */
export function promoteWithScalar(t: DType, value: number | boolean): DType {
  if (typeof value === "boolean") return t;
  const scalarIsInt = Number.isInteger(value);
  if (isFloating(t)) return t;
  if (!scalarIsInt) return "float32";
  return t === "bool" ? "int32" : t;
}

/** Bytes per element of the storage. */
export function itemSize(d: DType): number {
  return d === "float64" ? 8 : d === "bool" ? 1 : 4;
}
