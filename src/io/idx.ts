// nb.io.readIdx: the IDX format that MNIST and Fashion-MNIST ship in.
//
// Layout: two zero bytes, a type code (0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float,
// 0x0E double), the number of dimensions, one big-endian uint32 size per dimension, then the
// values, big-endian, row-major. Files may be gzip-compressed (recognised by their first bytes,
// whatever their name).
//
// This file reads (and gunzips) files; the format itself is parsed in idx-bytes.ts, which needs no
// file system (the browser example uses it). Every size the header declares is checked against the
// bytes actually there before anything is allocated, so a corrupt or hostile file gives one clear
// error instead of a huge allocation.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { activeBackend } from "../backend/registry.js";
import { dtypeOfArray } from "../core/dtype.js";
import { checkOptions } from "../core/options.js";
import { MAX_IDX_BYTES, READ_IDX_OPTIONS, checkLimit, memorySource, parseHeader, parseIdx, type ByteSource, type IdxArray, type ReadIdxOptions } from "./idx-bytes.js";
import { Storage } from "../tensor/storage.js";
import { Tensor } from "../tensor/tensor.js";

export { MAX_IDX_BYTES, READ_IDX_OPTIONS, parseIdxBytes, type IdxType, type IdxData, type IdxArray, type ReadIdxOptions } from "./idx-bytes.js";

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
  checkLimit(limit);
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

