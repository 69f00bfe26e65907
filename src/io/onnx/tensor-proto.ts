// Tensors in and out of ONNX's TensorProto: raw little-endian bytes when writing; every storage
// field ONNX allows when reading (raw_data, float_data, int32_data, int64_data, double_data).
// nabla's dtypes map to FLOAT, DOUBLE, INT32 and BOOL; INT64 (shapes, indices) is read into
// int32 (values beyond ±2^31 saturate: they are "to the end" markers in Slice and the like).

import type { DType, TypedArray } from "../../core/dtype.js";
import { OnnxDataType, type TensorProto } from "./onnx-proto.js";

export interface HostArray {
  shape: number[];
  dtype: DType;
  data: TypedArray;
}

export function onnxTypeOf(dtype: DType): number {
  switch (dtype) {
    case "float32": return OnnxDataType.FLOAT;
    case "float64": return OnnxDataType.DOUBLE;
    case "int32": return OnnxDataType.INT32;
    case "bool": return OnnxDataType.BOOL;
  }
}

const ONNX_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OnnxDataType).map(([k, v]) => [v, k]));

export function onnxTypeName(t: number): string {
  return ONNX_TYPE_NAMES[t] ?? `type ${t}`;
}

/** The nabla dtype an ONNX element type is computed in (integers → int32, float16/double kept as float). */
export function dtypeOfOnnx(t: number, where: string): DType {
  switch (t) {
    case OnnxDataType.FLOAT: case OnnxDataType.FLOAT16: return "float32";
    case OnnxDataType.DOUBLE: return "float64";
    case OnnxDataType.INT32: case OnnxDataType.INT64: case OnnxDataType.INT8: case OnnxDataType.UINT8:
    case OnnxDataType.INT16: case OnnxDataType.UINT32: case OnnxDataType.UINT64: return "int32";
    case OnnxDataType.BOOL: return "bool";
    default: throw new Error(`${where}: ONNX element type ${onnxTypeName(t)} is not supported (nabla computes in float32, float64, int32 and bool)`);
  }
}

/** A TensorProto with raw little-endian data. */
export function toTensorProto(name: string, a: HostArray): TensorProto {
  const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  return { name, dims: a.shape, dataType: onnxTypeOf(a.dtype), rawData: new Uint8Array(bytes) };
}

/** An INT64 TensorProto (ONNX wants int64 for shapes, axes, pads, starts and ends). */
export function int64TensorProto(name: string, values: readonly number[], shape: number[] = [values.length]): TensorProto {
  const raw = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((v, i) => raw.setBigInt64(i * 8, BigInt(Math.trunc(clampInt64(v))), true));
  return { name, dims: shape, dataType: OnnxDataType.INT64, rawData: new Uint8Array(raw.buffer) };
}

const INT64_MAX = 9223372036854775807;
function clampInt64(v: number): number {
  if (v === Infinity || v >= INT64_MAX) return INT64_MAX - 1024; // the largest double below 2^63
  if (v === -Infinity || v <= -INT64_MAX) return -(INT64_MAX - 1024);
  return v;
}

const saturate = (v: number): number => (v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v);

/** A TensorProto's values as a nabla host array. */
export function fromTensorProto(tp: TensorProto, where: string): HostArray {
  if (tp.dataLocation === 1) throw new Error(`${where}: tensor '${tp.name}' keeps its data in an external file, which importOnnx does not read; save the model with its weights inside`);
  const type = tp.dataType ?? 0;
  const dtype = dtypeOfOnnx(type, `${where}: tensor '${tp.name ?? ""}'`);
  const shape = (tp.dims ?? []).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = dtype === "float32" ? new Float32Array(n) : dtype === "float64" ? new Float64Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint8Array(n);
  const raw = tp.rawData && tp.rawData.length > 0 ? tp.rawData : null;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = ({ [OnnxDataType.FLOAT]: 4, [OnnxDataType.DOUBLE]: 8, [OnnxDataType.INT32]: 4, [OnnxDataType.INT64]: 8, [OnnxDataType.BOOL]: 1,
      [OnnxDataType.UINT8]: 1, [OnnxDataType.INT8]: 1, [OnnxDataType.INT16]: 2, [OnnxDataType.FLOAT16]: 2, [OnnxDataType.UINT32]: 4, [OnnxDataType.UINT64]: 8 } as Record<number, number>)[type];
    if (raw.byteLength !== n * size) throw new Error(`${where}: tensor '${tp.name}' of shape [${shape.join(", ")}] has ${raw.byteLength} bytes of data, expected ${n * size}`);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (type) {
        case OnnxDataType.FLOAT: out[i] = view.getFloat32(o, true); break;
        case OnnxDataType.DOUBLE: out[i] = view.getFloat64(o, true); break;
        case OnnxDataType.INT32: out[i] = view.getInt32(o, true); break;
        case OnnxDataType.INT64: out[i] = saturate(Number(view.getBigInt64(o, true))); break;
        case OnnxDataType.UINT64: out[i] = saturate(Number(view.getBigUint64(o, true))); break;
        case OnnxDataType.UINT32: out[i] = saturate(view.getUint32(o, true)); break;
        case OnnxDataType.INT16: out[i] = view.getInt16(o, true); break;
        case OnnxDataType.INT8: out[i] = view.getInt8(o); break;
        case OnnxDataType.FLOAT16: out[i] = halfToFloat(view.getUint16(o, true)); break;
        default: out[i] = view.getUint8(o); break;
      }
    }
    return { shape, dtype, data: out };
  }
  const list: ArrayLike<number> | undefined =
    type === OnnxDataType.FLOAT ? tp.floatData : type === OnnxDataType.DOUBLE ? tp.doubleData
      : type === OnnxDataType.INT64 ? tp.int64Data : type === OnnxDataType.UINT64 ? tp.uint64Data : tp.int32Data;
  const values = list ?? [];
  if (values.length !== n) throw new Error(`${where}: tensor '${tp.name}' of shape [${shape.join(", ")}] holds ${values.length} values, expected ${n}`);
  for (let i = 0; i < n; i++) out[i] = type === OnnxDataType.FLOAT16 ? halfToFloat(values[i]) : dtype === "int32" ? saturate(Number(values[i])) : Number(values[i]);
  return { shape, dtype, data: out };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
