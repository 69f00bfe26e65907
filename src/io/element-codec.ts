// Element types as weight files store them (little-endian bytes), decoded into nabla's dtypes and
// encoded back. Shared by the safetensors and PyTorch readers. Types nabla has no storage for are
// widened on read: half and bfloat16 to float32, small integers to int32, int64 to int32 with a
// range check (a value that does not fit is an error, never a silent wrap).

import type { Backend } from "../backend/backend.js";
import { arrayFor, type DType, type TypedArray } from "../core/dtype.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";

/** Element types by their safetensors names. */
export type FileDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U32" | "U16" | "U8" | "BOOL";

export const FILE_DTYPE_BYTES: Readonly<Record<FileDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export function isFileDType(s: unknown): s is FileDType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(FILE_DTYPE_BYTES, s);
}

/** The nabla dtype a file element type is read into. */
export function nablaDTypeOf(f: FileDType): DType {
  switch (f) {
    case "F64": return "float64";
    case "F32": case "F16": case "BF16": return "float32";
    case "BOOL": return "bool";
    default: return "int32";
  }
}

/** The file element type nabla writes for one of its dtypes. */
export function fileDTypeOf(d: DType): FileDType {
  switch (d) {
    case "float64": return "F64";
    case "float32": return "F32";
    case "int32": return "I32";
    case "bool": return "BOOL";
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;
/** float16 bit pattern → float32 value, for all 65536 patterns (built once, 256 KB). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 31) t[h] = mant ? NaN : sign * Infinity;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return (halfTable = t);
}

/**
 * Decode `count` elements of type `f` from little-endian `bytes` (exactly count × size bytes) into
 * a fresh typed array of nabla's dtype. `describe` names the tensor for range errors.
 */
export function decodeElements(bytes: Uint8Array, f: FileDType, count: number, describe: () => string): TypedArray {
  const size = FILE_DTYPE_BYTES[f];
  if (bytes.length !== count * size) {
    throw new RangeError(`${describe()}: expected ${count * size} bytes for ${count} ${f} elements, found ${bytes.length}`);
  }
  const out = arrayFor(nablaDTypeOf(f), count);
  // Copy to a fresh, aligned buffer first: file data need not sit at an aligned offset.
  if (LITTLE_ENDIAN_HOST && (f === "F32" || f === "F64" || f === "I32")) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (f) {
    case "F32": for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true); break;
    case "F64": for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true); break;
    case "I32": for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true); break;
    case "F16": {
      const table = halfToFloatTable();
      for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
      break;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32: shift its bits into place.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
      break;
    }
    case "I64": {
      for (let i = 0; i < count; i++) {
        const lo = dv.getInt32(8 * i, true);
        const hi = dv.getInt32(8 * i + 4, true);
        // Fits int32 exactly when the high word is the sign extension of the low word.
        if (hi !== lo >> 31) {
          throw new RangeError(`${describe()}: int64 value ${dv.getBigInt64(8 * i, true)} at element ${i} does not fit in int32 (nabla's integer type)`);
        }
        out[i] = lo;
      }
      break;
    }
    case "U32": {
      for (let i = 0; i < count; i++) {
        const v = dv.getUint32(4 * i, true);
        if (v > 0x7fffffff) throw new RangeError(`${describe()}: uint32 value ${v} at element ${i} does not fit in int32 (nabla's integer type)`);
        out[i] = v;
      }
      break;
    }
    case "I16": for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, true); break;
    case "U16": for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, true); break;
    case "I8": for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); break;
    case "U8": out.set(bytes); break;
    case "BOOL": for (let i = 0; i < count; i++) out[i] = bytes[i] !== 0 ? 1 : 0; break;
  }
  return out;
}

/** The little-endian bytes of a nabla typed array (a view when the host is little-endian). */
export function encodeElements(data: TypedArray): Uint8Array {
  if (LITTLE_ENDIAN_HOST || data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  else if (data instanceof Float64Array) data.forEach((v, i) => dv.setFloat64(8 * i, v, true));
  else data.forEach((v, i) => dv.setInt32(4 * i, v, true));
  return out;
}

/** A contiguous tensor that adopts freshly decoded `data` (no further copy on the cpu backend). */
export function adoptDecoded(data: TypedArray, dtype: DType, shape: number[], backend: Backend): Tensor {
  return new Tensor(new Storage(backend, backend.fromHost(data), dtype, data.length), shape);
}
