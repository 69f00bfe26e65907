// nb.io.readIdx: the IDX format that MNIST and Fashion-MNIST ship in.
//
// Layout: two zero bytes, a type code (0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float,
// 0x0E double), the number of dimensions, one big-endian uint32 size per dimension, then the
// values, big-endian, row-major. Files may be gzip-compressed (recognised by their first bytes,
// whatever their name).
//
// Every size the header declares is checked against the bytes actually there before anything
// is allocated, so a corrupt or hostile file gives one clear error instead of a huge allocation.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { activeBackend } from "../backend/registry.js";
import { dtypeOfArray } from "../core/dtype.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";

export type IdxType = "ubyte" | "sbyte" | "short" | "int" | "float" | "double";
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** What an IDX file holds, values in their own type (host byte order). */
export interface IdxArray {
  /** shape[0] is the number of entries read: fewer than `fileLength` under a limit. */
  shape: number[];
  /** Entries along dimension 0 that the file holds. */
  fileLength: number;
  type: IdxType;
  data: IdxData;
}

export interface ReadIdxOptions {
  /** Read only the first `limit` entries along dimension 0 (all when larger than the file holds). */
  limit?: number;
}

export const READ_IDX_OPTIONS = optionNames<ReadIdxOptions>({ limit: 1 });

/** The most data bytes readIdx accepts from one file (what one read of a file can return). */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: "ubyte", bytes: 1 },
  0x09: { type: "sbyte", bytes: 1 },
  0x0b: { type: "short", bytes: 2 },
  0x0c: { type: "int", bytes: 4 },
  0x0d: { type: "float", bytes: 4 },
  0x0e: { type: "double", bytes: 8 },
};
const TYPE_LIST = "0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float or 0x0E double";

/** Random access to a file's bytes: positional reads on disk, or a decompressed buffer. */
interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/**
 * Read an IDX file (optionally gzip-compressed) into a tensor: the integer types (ubyte, sbyte,
 * short, int) become int32, float becomes float32 and double float64. Images stay 0..255 here;
 * nb.datasets scales them to [0, 1].
 */
export function readIdx(path: string, opts: ReadIdxOptions = {}): Tensor {
  const { shape, type, data } = readIdxArray(path, opts);
  if (type === "float" || type === "double") return adopt(data as Float32Array | Float64Array, shape);
  const ints = data instanceof Int32Array ? data : new Int32Array(data.length);
  if (ints !== data) ints.set(data);
  return adopt(ints, shape);
}

/** A tensor on the active backend that takes over `data` (nb.tensor would copy it once more). */
function adopt(data: Float32Array | Float64Array | Int32Array, shape: number[]): Tensor {
  const backend = activeBackend();
  return new Tensor(new Storage(backend, backend.fromHost(data), dtypeOfArray(data), data.length), shape);
}

/** readIdx without the tensor: the values in their stored type, for loaders that convert them. */
export function readIdxArray(path: string, opts: ReadIdxOptions = {}): IdxArray {
  if (typeof path !== "string" || path === "") throw new TypeError(`readIdx: path must be a non-empty string, got ${JSON.stringify(path)}`);
  checkOptions("readIdx", opts, READ_IDX_OPTIONS);
  const limit = opts.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`readIdx: limit must be a non-negative integer, got ${limit}`);
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new Error(`readIdx: cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const fileSource = fdSource(fd);
    const head = fileSource.read(0, Math.min(2, fileSource.size));
    const gzipped = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
    return parseIdx(path, gzipped ? gunzipSource(path, fileSource) : fileSource, limit);
  } finally {
    closeSync(fd);
  }
}

function fdSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    },
  };
}

function memorySource(buf: Uint8Array): ByteSource {
  return { size: buf.length, read: (offset, length) => buf.slice(offset, offset + length) };
}

/**
 * Decompress a gzip file, never to more than its IDX header declares: the header is read from
 * the first compressed bytes (deflate expands each byte at most ~1032 times, so that part stays
 * small), then the whole stream is inflated with its output capped at the declared size.
 */
function gunzipSource(path: string, file: ByteSource): ByteSource {
  if (file.size > MAX_IDX_BYTES) throw new RangeError(`readIdx: ${path} is ${file.size} bytes compressed, more than readIdx reads (${MAX_IDX_BYTES})`);
  const compressed = file.read(0, file.size);
  const inflate = (input: Uint8Array, maxOutputLength: number, limitMeans: string): Uint8Array => {
    try {
      // Sync flush: a truncated stream yields what it has, and the IDX size checks then say so.
      return gunzipSync(input, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new RangeError(`readIdx: ${path} decompresses to more than ${maxOutputLength} bytes, ${limitMeans}: it is corrupt or not an IDX file`);
      }
      throw new Error(`readIdx: ${path} starts like a gzip file but cannot be decompressed: ${(err as Error).message}`);
    }
  };
  const prefix = inflate(compressed.subarray(0, 4096), 8 * 1024 * 1024, "the most 4096 compressed bytes can hold");
  let cap = MAX_IDX_BYTES;
  let limitMeans = "more than readIdx reads";
  try {
    const header = parseHeader(path, memorySource(prefix));
    cap = header.headerBytes + header.dataBytes;
    limitMeans = `the size its header declares (${header.dims.join("x")} ${header.type} values after ${header.headerBytes} header bytes)`;
  } catch {
    // The header did not fit in the first compressed bytes (or is bad): parse the whole stream
    // and let parseIdx report what is wrong with it.
  }
  return memorySource(inflate(compressed, cap, limitMeans));
}

interface IdxHeader {
  type: IdxType;
  itemBytes: number;
  dims: number[];
  headerBytes: number;
  dataBytes: number;
  /** Bytes of one entry along dimension 0. */
  rowBytes: number;
}

function parseHeader(path: string, src: ByteSource): IdxHeader {
  if (src.size < 4) {
    throw new RangeError(`readIdx: ${path} is truncated: an IDX file starts with a 4-byte magic number but it has only ${src.size} bytes`);
  }
  const magic = src.read(0, 4);
  if (magic[0] !== 0 || magic[1] !== 0) {
    throw new RangeError(`readIdx: ${path} is not an IDX file: it must start with two zero bytes, found ${hex(magic[0])} ${hex(magic[1])}`);
  }
  const code = TYPE_CODES[magic[2]];
  if (!code) throw new RangeError(`readIdx: ${path} has unknown type code ${hex(magic[2])}; expected ${TYPE_LIST}`);
  const ndim = magic[3];
  if (ndim === 0) throw new RangeError(`readIdx: ${path} declares 0 dimensions; an IDX file has at least one`);
  const headerBytes = 4 + 4 * ndim;
  if (src.size < headerBytes) {
    throw new RangeError(`readIdx: ${path} is truncated: the header declares ${ndim} dimensions (${headerBytes} header bytes) but the file has only ${src.size} bytes`);
  }
  const sizes = src.read(4, 4 * ndim);
  const view = new DataView(sizes.buffer, sizes.byteOffset, sizes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 * i, false));
  // Multiply step by step so a product never grows past what a double holds exactly.
  let rowBytes = code.bytes;
  for (let i = 1; i < ndim; i++) {
    rowBytes *= dims[i];
    if (rowBytes > MAX_IDX_BYTES) throw tooLarge(path, dims, code.type, rowBytes, "one entry along dimension 0 is");
  }
  const dataBytes = rowBytes * dims[0];
  if (dataBytes > MAX_IDX_BYTES) throw tooLarge(path, dims, code.type, dataBytes, "that is");
  return { type: code.type, itemBytes: code.bytes, dims, headerBytes, dataBytes, rowBytes };
}

function parseIdx(path: string, src: ByteSource, limit: number | undefined): IdxArray {
  const h = parseHeader(path, src);
  const follow = src.size - h.headerBytes;
  const declared = `${h.dims.join("x")} ${h.type} values (${h.dataBytes} bytes)`;
  if (follow < h.dataBytes) throw new RangeError(`readIdx: ${path} is truncated: the header declares ${declared} but only ${follow} follow`);
  if (follow > h.dataBytes) {
    throw new RangeError(`readIdx: ${path} has ${follow - h.dataBytes} bytes after the ${declared} its header declares: it is corrupt or not an IDX file`);
  }
  const count = limit === undefined ? h.dims[0] : Math.min(limit, h.dims[0]);
  const bytes = src.read(h.headerBytes, count * h.rowBytes);
  return { shape: [count, ...h.dims.slice(1)], fileLength: h.dims[0], type: h.type, data: decodeBigEndian(bytes, h.type) };
}

function decodeBigEndian(bytes: Uint8Array, type: IdxType): IdxData {
  switch (type) {
    case "ubyte": return bytes;
    case "sbyte": return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    default: break;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === "short") {
    const out = new Int16Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, false);
    return out;
  }
  if (type === "int") {
    const out = new Int32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, false);
    return out;
  }
  if (type === "float") {
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, false);
    return out;
  }
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, false);
  return out;
}

function tooLarge(path: string, dims: number[], type: IdxType, bytes: number, what: string): RangeError {
  return new RangeError(`readIdx: ${path} declares ${dims.join("x")} ${type} values; ${what} ${bytes} bytes, more than readIdx reads (at most ${MAX_IDX_BYTES})`);
}

function hex(b: number): string {
  return "0x" + b.toString(16).toUpperCase().padStart(2, "0");
}
