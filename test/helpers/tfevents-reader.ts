// An independent reader of TensorBoard event files, for tests: its own bitwise CRC-32C (no table,
// unlike src/io/tensorboard/crc32c.ts), its own TFRecord unframing and its own protobuf wire
// decoder (no protobufjs, no schema), so a mistake in the writer's schema or framing cannot be
// mirrored here. It decodes only the fields the tests check.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** CRC-32C one bit at a time (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** TFRecord's mask: rotate right 15, add 0xa282ead8, all mod 2^32 (in BigInt, to stay independent). */
export function maskBitwise(crc: number): number {
  const c = BigInt(crc);
  const rotated = ((c >> 15n) | (c << 17n)) & 0xffffffffn;
  return Number((rotated + 0xa282ead8n) & 0xffffffffn);
}

/** The records of a TFRecord file; throws on a bad length, a bad CRC or a truncated record. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error(`truncated record header at byte ${at}`);
    const length = Number(view.getBigUint64(at, true));
    const headerCrc = view.getUint32(at + 8, true);
    if (headerCrc !== maskBitwise(crc32cBitwise(bytes.subarray(at, at + 8)))) throw new Error(`bad length CRC at byte ${at}`);
    const start = at + 12, end = start + length;
    if (end + 4 > bytes.length) throw new Error(`truncated record at byte ${at}`);
    const data = bytes.subarray(start, end);
    if (view.getUint32(end, true) !== maskBitwise(crc32cBitwise(data))) throw new Error(`bad data CRC in the record at byte ${at}`);
    records.push(data);
    at = end + 4;
  }
  return records;
}

/** One protobuf field: varint as bigint, fixed64/fixed32 and length-delimited as raw bytes. */
export interface Field { wire: number; varint?: bigint; bytes?: Uint8Array }
export type Fields = Map<number, Field[]>;

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n, shift = 0n;
  for (;;) {
    if (at >= bytes.length) throw new Error("truncated varint");
    const b = bytes[at++];
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value, at];
    shift += 7n;
  }
}

/** Split a message into its fields by number (wire types 0, 1, 2, 5). */
export function decodeFields(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  let at = 0;
  while (at < bytes.length) {
    const [key, next] = readVarint(bytes, at);
    at = next;
    const number = Number(key >> 3n), wire = Number(key & 7n);
    let field: Field;
    if (wire === 0) {
      const [v, n] = readVarint(bytes, at);
      field = { wire, varint: v };
      at = n;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      field = { wire, bytes: bytes.subarray(at, at + size) };
      at += size;
    } else if (wire === 2) {
      const [len, n] = readVarint(bytes, at);
      field = { wire, bytes: bytes.subarray(n, n + Number(len)) };
      at = n + Number(len);
    } else {
      throw new Error(`unsupported wire type ${wire} for field ${number}`);
    }
    if (at > bytes.length) throw new Error(`field ${number} runs past the end of the message`);
    (fields.get(number) ?? fields.set(number, []).get(number)!).push(field);
  }
  return fields;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const one = (f: Fields, n: number): Field | undefined => f.get(n)?.at(-1);
export const double = (f: Fields, n: number): number | undefined => { const x = one(f, n); return x?.bytes ? dv(x.bytes).getFloat64(0, true) : undefined; };
export const float = (f: Fields, n: number): number | undefined => { const x = one(f, n); return x?.bytes ? dv(x.bytes).getFloat32(0, true) : undefined; };
export const varint = (f: Fields, n: number): bigint | undefined => one(f, n)?.varint;
export const bytesOf = (f: Fields, n: number): Uint8Array | undefined => one(f, n)?.bytes;
export const text = (f: Fields, n: number): string | undefined => { const b = bytesOf(f, n); return b && new TextDecoder().decode(b); };
export const message = (f: Fields, n: number): Fields | undefined => { const b = bytesOf(f, n); return b && decodeFields(b); };
export const messages = (f: Fields, n: number): Fields[] => (f.get(n) ?? []).map((x) => decodeFields(x.bytes!));
/** A packed repeated double field. */
export const packedDoubles = (f: Fields, n: number): number[] => {
  const out: number[] = [];
  for (const x of f.get(n) ?? []) for (let i = 0; i < x.bytes!.length; i += 8) out.push(dv(x.bytes!).getFloat64(i, true));
  return out;
};

// Event (event.proto): wall_time 1, step 2, file_version 3, summary 5.
// Summary: value 1. Summary.Value: tag 1, simple_value 2, image 4, histo 5, tensor 8, metadata 9.
export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  pluginName?: string;
  pluginContent?: Uint8Array;
  image?: { height: number; width: number; colorspace: number; png: Uint8Array };
  histo?: { min: number; max: number; num: number; sum: number; sumSquares: number; bucketLimit: number[]; bucket: number[] };
  tensor?: { dtype: number; shape: number[]; strings: string[] };
}
export interface DecodedEvent { wallTime: number; step: number; fileVersion?: string; values: DecodedValue[] }

function decodeValue(v: Fields): DecodedValue {
  const out: DecodedValue = { tag: text(v, 1) ?? "" };
  out.simpleValue = float(v, 2);
  const meta = message(v, 9);
  const plugin = meta && message(meta, 1);
  if (plugin) {
    out.pluginName = text(plugin, 1);
    out.pluginContent = bytesOf(plugin, 2) ?? new Uint8Array();
  }
  const image = message(v, 4);
  if (image) out.image = { height: Number(varint(image, 1) ?? 0n), width: Number(varint(image, 2) ?? 0n), colorspace: Number(varint(image, 3) ?? 0n), png: bytesOf(image, 4)! };
  const h = message(v, 5);
  if (h) {
    out.histo = {
      min: double(h, 1) ?? 0, max: double(h, 2) ?? 0, num: double(h, 3) ?? 0, sum: double(h, 4) ?? 0, sumSquares: double(h, 5) ?? 0,
      bucketLimit: packedDoubles(h, 6), bucket: packedDoubles(h, 7),
    };
  }
  const t = message(v, 8);
  if (t) {
    const shape = message(t, 2);
    out.tensor = {
      dtype: Number(varint(t, 1) ?? 0n),
      shape: shape ? messages(shape, 2).map((d) => Number(varint(d, 1) ?? 0n)) : [],
      strings: (t.get(8) ?? []).map((x) => new TextDecoder().decode(x.bytes!)),
    };
  }
  return out;
}

export function decodeEvent(record: Uint8Array): DecodedEvent {
  const e = decodeFields(record);
  const summary = message(e, 5);
  return {
    wallTime: double(e, 1) ?? 0,
    step: Number(varint(e, 2) ?? 0n),
    fileVersion: text(e, 3),
    values: summary ? messages(summary, 1).map(decodeValue) : [],
  };
}

/** Every event of one file. */
export function readEventFile(path: string): DecodedEvent[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
}

/** The event files directly in `dir`. */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith("events.out.tfevents.")).sort().map((n) => join(dir, n));
}

/** Scalars in `dir` by tag: [step, value] pairs in file order. */
export function scalarsIn(dir: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const f of eventFiles(dir)) {
    for (const e of readEventFile(f)) {
      for (const v of e.values) if (v.simpleValue !== undefined) (out.get(v.tag) ?? out.set(v.tag, []).get(v.tag)!).push([e.step, v.simpleValue]);
    }
  }
  return out;
}
