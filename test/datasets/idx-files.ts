// Writing small IDX files for tests (the format nb.io.readIdx reads).
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const CODES = { ubyte: [0x08, 1], sbyte: [0x09, 1], short: [0x0b, 2], int: [0x0c, 4], float: [0x0d, 4], double: [0x0e, 8] } as const;
export type IdxTypeName = keyof typeof CODES;

/** The bytes of an IDX file: header for `dims`, then `values` big-endian. */
export function idxBytes(type: IdxTypeName, dims: number[], values: ArrayLike<number>): Buffer {
  const [code, size] = CODES[type];
  const buf = Buffer.alloc(4 + 4 * dims.length + size * values.length);
  buf[2] = code;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  let at = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++, at += size) {
    const v = values[i];
    if (type === "ubyte") buf.writeUInt8(v, at);
    else if (type === "sbyte") buf.writeInt8(v, at);
    else if (type === "short") buf.writeInt16BE(v, at);
    else if (type === "int") buf.writeInt32BE(v, at);
    else if (type === "float") buf.writeFloatBE(v, at);
    else buf.writeDoubleBE(v, at);
  }
  return buf;
}

export function writeIdx(path: string, type: IdxTypeName, dims: number[], values: ArrayLike<number>, opts: { gzip?: boolean } = {}): string {
  const bytes = idxBytes(type, dims, values);
  writeFileSync(path, opts.gzip ? gzipSync(bytes) : bytes);
  return path;
}
