// The IDX format (MNIST, Fashion-MNIST) parsed from bytes: no file system, so it runs in a browser
// (examples/browser/ fetches the files and parses them with this) as well as under nb.io.readIdx,
// which reads a file (or gunzips it) and hands the bytes here.
//
// Layout: two zero bytes, a type code (0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float,
// 0x0E double), the number of dimensions, one big-endian uint32 size per dimension, then the
// values, big-endian, row-major. Every size the header declares is checked against the bytes
// actually there before anything is allocated.

import { checkOptions, optionNames } from "../core/options.js";

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

/** Random access to a file's bytes: positional reads on disk, or a buffer in memory. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(buf: Uint8Array): ByteSource {
  return { size: buf.length, read: (offset, length) => buf.slice(offset, offset + length) };
}

/**
 * Parse an IDX file's bytes (not gzip-compressed: a page decompresses with DecompressionStream
 * first). `name` names the file in errors.
 */
export function parseIdxBytes(bytes: Uint8Array, opts: ReadIdxOptions & { name?: string } = {}): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`parseIdxBytes: expected a Uint8Array of an IDX file's bytes, got ${bytes === null ? "null" : typeof bytes}`);
  const { name = "<bytes>", ...rest } = opts;
  checkOptions("parseIdxBytes", rest, READ_IDX_OPTIONS);
  checkLimit(rest.limit);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw new RangeError(`parseIdxBytes: ${name} is gzip-compressed; decompress it first (DecompressionStream("gzip") in a browser)`);
  return parseIdx(name, memorySource(bytes), rest.limit);
}

/** A limit on entries read must be a non-negative integer. */
export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`readIdx: limit must be a non-negative integer, got ${limit}`);
  }
}

export interface IdxHeader {
  type: IdxType;
  itemBytes: number;
  dims: number[];
  headerBytes: number;
  dataBytes: number;
  /** Bytes of one entry along dimension 0. */
  rowBytes: number;
}

export function parseHeader(path: string, src: ByteSource): IdxHeader {
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

export function parseIdx(path: string, src: ByteSource, limit: number | undefined): IdxArray {
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
