// The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}), then the
// data, with offsets relative to the data's start. Reading validates the whole header against the
// file before anything is allocated, so a hostile file is a clear error, never a crash or a huge
// allocation. Writing follows the reference implementation byte for byte: tensors ordered by
// element type (widest first) then name, compact JSON, the header padded with spaces to 8 bytes.

import type { Backend } from "../backend/backend.js";
import { backendFor } from "../tensor/creation.js";
import type { TypedArray } from "../core/dtype.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Tensor } from "../tensor/tensor.js";
import {
  adoptDecoded, decodeElements, encodeElements, FILE_DTYPE_BYTES, fileDTypeOf, isFileDType, nablaDTypeOf, type FileDType,
} from "./element-codec.js";

export type TensorMap = Map<string, Tensor> | Record<string, Tensor>;

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

/** Write order of the element types: the reference sorts by its dtype enum, descending. */
const WRITE_RANK: Readonly<Record<FileDType, number>> = {
  BOOL: 0, U8: 1, I8: 2, I16: 3, U16: 4, F16: 5, BF16: 6, I32: 7, U32: 8, F32: 9, F64: 10, I64: 11,
};

// ---- reading ---------------------------------------------------------------------------------

interface TensorHeader {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParseSafetensorsOptions {
  /** The file the bytes came from, for error messages. */
  path?: string;
  /** Where the tensors live (default: the active backend). */
  device?: string;
}

const PARSE_SAFETENSORS_OPTIONS = optionNames<ParseSafetensorsOptions>({ path: 1, device: 1 });

/**
 * Parse a safetensors file held in memory: `{tensors, metadata}`. Tensors are created on
 * `opts.device` (default: the active backend). Errors name `opts.path` when given.
 */
export function parseSafetensors(bytes: Uint8Array, opts: ParseSafetensorsOptions = {}): SafetensorsContents {
  checkOptions("parseSafetensors", opts, PARSE_SAFETENSORS_OPTIONS);
  return readSafetensors(bytes, "parseSafetensors", opts.path ?? "<bytes>", backendFor(opts, "parseSafetensors"));
}

/** @internal The reader behind parseSafetensors and nb.load; `where` starts every error. */
export function readSafetensors(bytes: Uint8Array, where: string, file: string, backend: Backend): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${file}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${where}: expected the file's bytes as a Uint8Array`);
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes is too short for the 8-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(`header length ${declared} bytes is larger than the file (${bytes.length} bytes in all, ${bytes.length - 8} after the length field); the file is truncated or not safetensors`);
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header JSON must be an object of tensor entries");
  const { duplicate, within, topKeys } = scanJsonKeys(text);
  if (duplicate !== null) {
    fail(within === null ? `duplicate tensor name ${JSON.stringify(duplicate)} in the header` : `duplicate key ${JSON.stringify(duplicate)} in the header entry of ${JSON.stringify(within)}`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const record = header as Record<string, unknown>;
  let metadata: Record<string, string> = {};
  const entries: TensorHeader[] = [];
  for (const name of topKeys) {
    const info = record[name];
    if (name === METADATA_KEY) {
      metadata = parseMetadata(info, fail);
      continue;
    }
    entries.push(parseEntry(name, info, dataLength, fail));
  }
  checkNoOverlap(entries, fail);

  // Everything is validated: every range lies inside the file, so allocation is bounded by its size.
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const numel = e.shape.reduce((a, b) => a * b, 1);
    const data = decodeElements(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, numel, () => `${where}: ${file}: tensor ${JSON.stringify(e.name)}`);
    tensors.set(e.name, adoptDecoded(data, nablaDTypeOf(e.dtype), e.shape, backend));
  }
  return { tensors, metadata };
}

function parseMetadata(info: unknown, fail: (msg: string) => never): Record<string, string> {
  if (info === null) return {};
  if (typeof info !== "object" || Array.isArray(info)) fail(`"${METADATA_KEY}" must be an object of strings`);
  const pairs = Object.entries(info as Record<string, unknown>);
  for (const [k, v] of pairs) {
    if (typeof v !== "string") fail(`"${METADATA_KEY}" value for ${JSON.stringify(k)} must be a string, found ${JSON.stringify(v)}`);
  }
  return Object.fromEntries(pairs) as Record<string, string>;
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, info: unknown, dataLength: number, fail: (msg: string) => never): TensorHeader {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof info !== "object" || info === null || Array.isArray(info)) fail(`${what}: entry must be an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isFileDType(dtype)) {
    fail(`${what}: unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(FILE_DTYPE_BYTES).join(", ")}`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    fail(`${what}: shape must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    fail(`${what}: data_offsets must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end > dataLength) {
    fail(`${what}: byte range [${begin}, ${end}) lies outside the data buffer (${dataLength} bytes)`);
  }
  // The element count, bailing out as soon as it passes what the file could hold.
  const itemBytes = FILE_DTYPE_BYTES[dtype as FileDType];
  let numel = shape.includes(0) ? 0 : 1;
  for (const d of shape as number[]) {
    if (numel === 0) break;
    numel *= d;
    if (numel * itemBytes > dataLength) {
      fail(`${what}: shape ${formatShape(shape as number[])} of ${dtype} needs more bytes than the whole data buffer (${dataLength})`);
    }
  }
  if (numel * itemBytes !== end - begin) {
    fail(`${what}: shape ${formatShape(shape as number[])} of ${dtype} needs ${numel * itemBytes} bytes but data_offsets [${begin}, ${end}) hold ${end - begin}`);
  }
  return { name, dtype: dtype as FileDType, shape: [...(shape as number[])], begin, end };
}

function checkNoOverlap(entries: TensorHeader[], fail: (msg: string) => never): void {
  const ranges = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1];
    const cur = ranges[i];
    if (cur.begin < prev.end) {
      fail(`tensors ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end}) and ${JSON.stringify(cur.name)} [${cur.begin}, ${cur.end}) overlap`);
    }
  }
}

/**
 * Walk valid JSON text and report the first key that repeats within one object (JSON.parse keeps
 * the last silently), plus the top-level keys in file order (object property order would move
 * integer-like names such as "0" first).
 */
function scanJsonKeys(text: string): { duplicate: string | null; within: string | null; topKeys: string[] } {
  const stack: (Set<string> | null)[] = [];
  const topKeys: string[] = [];
  let currentTop: string | null = null;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j + 1;
      const keys = stack[stack.length - 1];
      if (!keys) continue;
      let k = i;
      while (k < n && /\s/.test(text[k])) k++;
      if (text[k] !== ":") continue;
      const key = JSON.parse(raw) as string;
      if (keys.has(key)) return { duplicate: key, within: stack.length === 1 ? null : currentTop, topKeys };
      keys.add(key);
      if (stack.length === 1) {
        topKeys.push(key);
        currentTop = key;
      }
    } else {
      i++;
    }
  }
  return { duplicate: null, within: null, topKeys };
}

// ---- writing ---------------------------------------------------------------------------------

export interface SafetensorsPlan {
  /** The length field, JSON and padding: everything before the data. */
  header: Uint8Array;
  /** Tensors in data order, with their byte ranges relative to the data start. */
  layout: { name: string; tensor: Tensor; begin: number; end: number }[];
  dataLength: number;
}

// TextEncoder rather than Node's Buffer, so that this file also runs in a browser.
const UTF8 = new TextEncoder();

/** Order of the UTF-8 bytes (the reference sorts names so; JS's < compares UTF-16 code units). */
function utf8Compare(a: string, b: string): number {
  const x = UTF8.encode(a), y = UTF8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** @internal Validate the inputs and lay out the header; shared by serializeSafetensors and nb.save. */
export function planSafetensors(tensors: TensorMap, metadata: Record<string, string> | undefined, where: string): SafetensorsPlan {
  if (typeof tensors !== "object" || tensors === null) throw new TypeError(`${where}: expected a Map or record of name → Tensor`);
  const pairs = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, t] of pairs) {
    if (typeof name !== "string") throw new TypeError(`${where}: tensor names must be strings, found ${typeof name}`);
    if (name === METADATA_KEY) throw new Error(`${where}: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: value for ${JSON.stringify(name)} is not a Tensor`);
    if (t.isDisposed) throw new Error(`${where}: tensor ${JSON.stringify(name)} has been disposed`);
  }
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new TypeError(`${where}: metadata must be a record of string → string`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new TypeError(`${where}: metadata value for ${JSON.stringify(k)} must be a string, found ${typeof v}`);
    }
  }
  const sorted = pairs
    .map(([name, tensor]) => ({ name, tensor, dtype: fileDTypeOf(tensor.dtype) }))
    .sort((a, b) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || utf8Compare(a.name, b.name));
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(utf8Compare);
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`);
  }
  const layout: SafetensorsPlan["layout"] = [];
  let offset = 0;
  for (const { name, tensor, dtype } of sorted) {
    const begin = offset;
    offset += tensor.numel() * FILE_DTYPE_BYTES[dtype];
    layout.push({ name, tensor, begin, end: offset });
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${tensor.shape.join(",")}],"data_offsets":[${begin},${offset}]}`);
  }
  const json = UTF8.encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, layout, dataLength: offset };
}

/** Check that a tensor's host data has the length the header promised. */
export function checkedBytes(data: TypedArray, entry: SafetensorsPlan["layout"][number], where: string): Uint8Array {
  const bytes = encodeElements(data);
  if (bytes.length !== entry.end - entry.begin) {
    throw new Error(`${where}: tensor ${JSON.stringify(entry.name)} produced ${bytes.length} bytes, expected ${entry.end - entry.begin} (was it modified while saving?)`);
  }
  return bytes;
}

/** The safetensors bytes of a set of named tensors (read synchronously) and optional metadata. */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Uint8Array {
  const where = "serializeSafetensors";
  const plan = planSafetensors(tensors, metadata, where);
  const out = new Uint8Array(plan.header.length + plan.dataLength);
  out.set(plan.header, 0);
  for (const entry of plan.layout) {
    out.set(checkedBytes(entry.tensor.dataSync(), entry, where), plan.header.length + entry.begin);
  }
  return out;
}
