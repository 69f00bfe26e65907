// A JSON form of optimizer and scheduler state dicts: tensors become {shape, dtype, data} and
// non-finite numbers (ReduceLROnPlateau's initial best is ±Infinity) become strings, so that
// JSON.stringify loses nothing and float32/float64 values round-trip exactly.

import { tensor } from "../tensor/creation.js";
import type { DType } from "../core/dtype.js";
import { Tensor } from "../tensor/tensor.js";

/** How a tensor is written in a JSON state dict. */
export interface SerializedTensor {
  shape: number[];
  dtype: DType;
  data: number[];
}

const NON_FINITE: Record<string, number> = { Infinity: Infinity, "-Infinity": -Infinity, NaN: NaN };

/** A copy of a state dict that JSON.stringify can write without loss. */
export function stateDictToJSON<T>(sd: T): unknown {
  return encode(sd, 0);
}

/** The inverse of stateDictToJSON (also accepts a state dict that is already in tensor form). */
export function stateDictFromJSON<T = unknown>(json: unknown): T {
  return decode(json, 0) as T;
}

function encode(v: unknown, depth: number): unknown {
  if (depth > 32) throw new RangeError("stateDictToJSON: the state dict is nested too deeply (a cycle?)");
  if (v instanceof Tensor) return { shape: [...v.shape], dtype: v.dtype, data: Array.from(v.dataSync(), Number) };
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map((x) => encode(x, depth + 1));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, depth + 1);
    return out;
  }
  return v;
}

function decode(v: unknown, depth: number): unknown {
  if (depth > 32) throw new RangeError("stateDictFromJSON: the state dict is nested too deeply");
  if (v instanceof Tensor) return v;
  if (typeof v === "string" && v in NON_FINITE) return NON_FINITE[v];
  if (Array.isArray(v)) return v.map((x) => decode(x, depth + 1));
  if (v !== null && typeof v === "object") {
    if (isSerializedTensor(v)) return tensor(v.data, { shape: v.shape, dtype: v.dtype });
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x, depth + 1);
    return out;
  }
  return v;
}

function isSerializedTensor(v: object): v is SerializedTensor {
  const o = v as Partial<SerializedTensor>;
  return Object.keys(v).length === 3 && Array.isArray(o.shape) && typeof o.dtype === "string" && Array.isArray(o.data);
}
