import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";
import { idxBytes, writeIdx } from "../datasets/idx-files.js";

const dir = mkdtempSync(join(tmpdir(), "nabla-idx-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

test("readIdx reads ubyte images as int32 with their shape", () => {
  const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
  const t = nb.io.readIdx(writeIdx(file("u8"), "ubyte", [2, 3, 4], values));
  assert.deepEqual(t.shape, [2, 3, 4]);
  assert.equal(t.dtype, "int32");
  assert.deepEqual(Array.from(t.dataSync()), values);
});

test("readIdx decodes every big-endian type", () => {
  const cases: [Parameters<typeof writeIdx>[1], number[], string][] = [
    ["sbyte", [-128, -1, 0, 127], "int32"],
    ["short", [-32768, -2, 258, 32767], "int32"],
    ["int", [-2147483648, -70000, 65536, 2147483647], "int32"],
    ["float", [-1.5, 0.25, 3.1415927410125732, 1e-20], "float32"],
    ["double", [-1.5, 0.1, Math.PI, 1e-300], "float64"],
  ];
  for (const [type, values, dtype] of cases) {
    const t = nb.io.readIdx(writeIdx(file(type), type, [2, 2], values));
    assert.equal(t.dtype, dtype, type);
    assert.deepEqual(t.shape, [2, 2]);
    const got = Array.from(t.dataSync());
    if (type === "float") assert.deepEqual(got, values.map(Math.fround), type);
    else assert.deepEqual(got, values, type);
  }
  const raw = nb.io.readIdxArray(file("short"));
  assert.equal(raw.type, "short");
  assert.ok(raw.data instanceof Int16Array);
});

test("readIdx reads gzip files, named .gz or not", () => {
  const values = [1, 2, 3, 250, 251, 252];
  const a = nb.io.readIdx(writeIdx(file("labels.gz"), "ubyte", [6], values, { gzip: true }));
  assert.deepEqual(Array.from(a.dataSync()), values);
  const b = nb.io.readIdx(writeIdx(file("floats-gz"), "float", [3, 2], [0.5, 1, 2, 4, 8, 16], { gzip: true }));
  assert.deepEqual(b.shape, [3, 2]);
  assert.deepEqual(Array.from(b.dataSync()), [0.5, 1, 2, 4, 8, 16]);
});

test("limit reads only the first entries along dimension 0", () => {
  const values = Array.from({ length: 5 * 2 }, (_, i) => i);
  for (const gzip of [false, true]) {
    const p = writeIdx(file(`limit${gzip ? ".gz" : ""}`), "ubyte", [5, 2], values, { gzip });
    const t = nb.io.readIdx(p, { limit: 2 });
    assert.deepEqual(t.shape, [2, 2]);
    assert.deepEqual(Array.from(t.dataSync()), [0, 1, 2, 3]);
    assert.equal(nb.io.readIdxArray(p, { limit: 2 }).fileLength, 5);
    assert.deepEqual(nb.io.readIdx(p, { limit: 99 }).shape, [5, 2]);
  }
  assertThrowsMatching(() => nb.io.readIdx(file("limit"), { limit: -1 }), /readIdx: limit must be a non-negative integer, got -1/);
});

test("a zero-size dimension gives an empty tensor", () => {
  const t = nb.io.readIdx(writeIdx(file("empty"), "ubyte", [0, 28, 28], []));
  assert.deepEqual(t.shape, [0, 28, 28]);
  assert.equal(t.numel(), 0);
});

test("hostile or broken files each give one clear error naming the file", () => {
  // More data declared than the file holds: nothing is allocated for the claim.
  const truncated = file("train-images-idx3-ubyte");
  writeFileSync(truncated, idxBytes("ubyte", [60000, 28, 28], new Uint8Array(1000)));
  assertThrowsMatching(() => nb.io.readIdx(truncated, { limit: 1 }),
    new RegExp(`readIdx: ${truncated} is truncated: the header declares 60000x28x28 ubyte values \\(47040000 bytes\\) but only 1000 follow`));
  // The same, compressed.
  const truncatedGz = file("t.gz");
  writeFileSync(truncatedGz, gzipSync(idxBytes("float", [10, 10], new Float32Array(7))));
  assertThrowsMatching(() => nb.io.readIdx(truncatedGz), /is truncated: the header declares 10x10 float values \(400 bytes\) but only 28 follow/);
  // A gzip stream cut short.
  const cut = file("cut.gz");
  const whole = gzipSync(idxBytes("ubyte", [1000], new Uint8Array(1000).map((_, i) => (i * 7919) % 251)));
  writeFileSync(cut, whole.subarray(0, whole.length >> 1));
  assertThrowsMatching(() => nb.io.readIdx(cut), /readIdx: .*cut\.gz is truncated: the header declares 1000 ubyte values \(1000 bytes\) but only \d+ follow/);
  // More data than declared.
  const extra = file("extra");
  writeFileSync(extra, Buffer.concat([idxBytes("ubyte", [2], [1, 2]), Buffer.from([3, 4, 5])]));
  assertThrowsMatching(() => nb.io.readIdx(extra), /readIdx: .*extra has 3 bytes after the 2 ubyte values \(2 bytes\) its header declares/);
  const extraGz = file("extra.gz");
  writeFileSync(extraGz, gzipSync(Buffer.concat([idxBytes("ubyte", [2], [1, 2]), Buffer.alloc(5000)])));
  assertThrowsMatching(() => nb.io.readIdx(extraGz), /readIdx: .*extra\.gz decompresses to more than 10 bytes, the size its header declares \(2 ubyte values after 8 header bytes\)/);
  // Sizes whose product overflows.
  const huge = file("huge");
  writeFileSync(huge, idxBytes("float", [4294967295, 4294967295, 4294967295], []));
  assertThrowsMatching(() => nb.io.readIdx(huge), /readIdx: .*huge declares 4294967295x4294967295x4294967295 float values; one entry along dimension 0 is \d+ bytes, more than readIdx reads \(at most 2147483647\)/);
  const wide = file("wide");
  writeFileSync(wide, idxBytes("double", [65536, 65536], []));
  assertThrowsMatching(() => nb.io.readIdx(wide), /declares 65536x65536 double values; that is 34359738368 bytes, more than readIdx reads/);
  // Unknown type code.
  const badType = file("bad-type");
  writeFileSync(badType, Buffer.from([0, 0, 0x07, 1, 0, 0, 0, 1, 9]));
  assertThrowsMatching(() => nb.io.readIdx(badType), /readIdx: .*bad-type has unknown type code 0x07; expected 0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float or 0x0E double/);
  // Truncated headers.
  const tiny = file("tiny");
  writeFileSync(tiny, Buffer.from([0, 0]));
  assertThrowsMatching(() => nb.io.readIdx(tiny), /readIdx: .*tiny is truncated: an IDX file starts with a 4-byte magic number but it has only 2 bytes/);
  const shortHeader = file("short-header");
  writeFileSync(shortHeader, Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0]));
  assertThrowsMatching(() => nb.io.readIdx(shortHeader), /is truncated: the header declares 3 dimensions \(16 header bytes\) but the file has only 10 bytes/);
  // Not an IDX file at all, and no dimensions.
  const text = file("notes.txt");
  writeFileSync(text, "hello world");
  assertThrowsMatching(() => nb.io.readIdx(text), /readIdx: .*notes\.txt is not an IDX file: it must start with two zero bytes, found 0x68 0x65/);
  const noDims = file("no-dims");
  writeFileSync(noDims, Buffer.from([0, 0, 0x08, 0, 7]));
  assertThrowsMatching(() => nb.io.readIdx(noDims), /declares 0 dimensions; an IDX file has at least one/);
  // Broken gzip and missing files.
  const badGz = file("bad.gz");
  writeFileSync(badGz, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  assertThrowsMatching(() => nb.io.readIdx(badGz), /readIdx: .*bad\.gz starts like a gzip file but cannot be decompressed/);
  assertThrowsMatching(() => nb.io.readIdx(file("absent")), /readIdx: cannot open .*absent: ENOENT/);
});
