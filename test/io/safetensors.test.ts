import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "weights");
type Described = { dtype: nb.DType; shape: number[]; data: (number | string | boolean)[] };
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Record<string, Record<string, Described>>;

/** Values from the fixture JSON (infinities and NaN are written as strings there). */
function numbers(d: Described): number[] {
  return d.data.map((v) => (typeof v === "string" ? Number(v.replace("inf", "Infinity").replace("nan", "NaN")) : Number(v)));
}

function fromDescribed(d: Described): nb.Tensor {
  return nb.tensor(numbers(d), { dtype: d.dtype }).reshape(d.shape);
}

function assertMatches(t: nb.Tensor, d: Described, name: string): void {
  assert.equal(t.dtype, d.dtype, `${name}: dtype`);
  assert.deepEqual(t.shape, d.shape, `${name}: shape`);
  assert.deepEqual([...t.dataSync()], numbers(d), `${name}: values`);
}

/** A safetensors file from a header (object or raw text) and data bytes. */
function craft(header: unknown, data: Uint8Array | number[] = [], declaredLength?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function parseError(bytes: Uint8Array, ...patterns: RegExp[]): void {
  assertThrowsMatching(() => nb.safetensors.parseSafetensors(bytes, { path: "evil.safetensors" }), /^parseSafetensors: evil\.safetensors: /, ...patterns);
}

async function rejectsMatching(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  let caught: unknown = null;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, "expected a rejection");
  for (const re of patterns) assert.match((caught as Error).message, re);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "nabla-st-"));
}

test("round trip of every nabla dtype, 0-d, empty and non-contiguous tensors, with metadata", () => {
  const base = nb.arange(0, 6).reshape([2, 3]);
  const tensors = new Map<string, nb.Tensor>([
    ["f32", nb.tensor([1.5, -0, Infinity, -Infinity, NaN, 3.4028234663852886e38])],
    ["f64", nb.tensor([Math.PI, 1e-310, -1e300], { dtype: "float64" })],
    ["i32", nb.tensor([-2147483648, 2147483647, 0, -1], { dtype: "int32" })],
    ["mask", nb.tensor([true, false, true])],
    ["scalar", nb.tensor(-2.5)],
    ["scalar_int", nb.tensor(7, { dtype: "int32" })],
    ["empty", nb.zeros([0, 3])],
    ["empty_bool", nb.zeros([4, 0], { dtype: "bool" })],
    ["transposed", base.transpose(0, 1)],
  ]);
  const bytes = nb.safetensors.serializeSafetensors(tensors, { format: "pt", note: "héllo \"quoted\"\n" });
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n, "header padded to 8 bytes");
  const { tensors: back, metadata } = nb.safetensors.parseSafetensors(bytes);
  assert.deepEqual(metadata, { format: "pt", note: "héllo \"quoted\"\n" });
  assert.deepEqual([...back.keys()].sort(), [...tensors.keys()].sort());
  for (const [name, t] of tensors) {
    const r = back.get(name) as nb.Tensor;
    assert.equal(r.dtype, t.dtype, name);
    assert.deepEqual(r.shape, t.shape, name);
    assert.deepEqual([...r.dataSync()], [...t.dataSync()], name);
  }
  assert.ok(Object.is(back.get("f32")!.dataSync()[1], -0), "negative zero survives");
  assert.deepEqual(back.get("transposed")!.toArray(), [[0, 3], [1, 4], [2, 5]]);
});

test("reads a file laid out as the reference implementation writes it, every element type", () => {
  // Built by scripts/fixtures/weights.py from the specification; byte-identical to what
  // safetensors 0.8.0's safetensors.torch.save writes (checked by the script where installed).
  const bytes = readFileSync(join(FIXTURES, "reference.safetensors"));
  const { tensors, metadata } = nb.safetensors.parseSafetensors(bytes, { path: "reference.safetensors" });
  assert.deepEqual(metadata, expected["reference.safetensors.metadata"]);
  const want = expected["reference.safetensors"];
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(want).sort());
  for (const [name, d] of Object.entries(want)) assertMatches(tensors.get(name) as nb.Tensor, d, name);
  // Spot checks of the widened types against hand-worked values.
  assert.deepEqual([...tensors.get("f16")!.dataSync()], [1, -2.5, 65504, 2 ** -24, Infinity]);
  assert.deepEqual([...tensors.get("bf16")!.dataSync()].slice(0, 2), [1, -3.140625]);
  assert.deepEqual([...tensors.get("u8")!.dataSync()], [0, 255]);
});

test("writes byte for byte what the reference implementation writes", () => {
  const want = expected["nabla_layout.safetensors"];
  const tensors: Record<string, nb.Tensor> = {};
  for (const [name, d] of Object.entries(want)) tensors[name] = fromDescribed(d);
  const meta = expected["nabla_layout.safetensors.metadata"] as unknown as Record<string, string>;
  const bytes = nb.safetensors.serializeSafetensors(tensors, meta);
  const file = readFileSync(join(FIXTURES, "nabla_layout.safetensors"));
  const headerOf = (b: Uint8Array) => Buffer.from(b.subarray(8, 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)))).toString();
  assert.equal(headerOf(bytes), headerOf(file));
  assert.deepEqual(Buffer.from(bytes), file);
});

test("hostile headers: length, encoding, JSON shape, duplicates", () => {
  parseError(new Uint8Array([1, 2, 3]), /too short/);
  parseError(craft({}, [], 1000n), /header length 1000 bytes is larger than the file/);
  parseError(craft({}, [], 0xffffffffffffffffn), /header length 18446744073709551615 bytes is larger than the file/);
  parseError(craft("{\"a\": {\"dtype\": \"F32\""), /header is not valid JSON/);
  parseError(craft(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("latin1")), /not valid JSON|UTF-8/);
  const badUtf8 = craft("{}  ");
  badUtf8.set([0xc3, 0x28], 9);
  parseError(badUtf8, /not valid UTF-8/);
  parseError(craft("[1, 2]"), /must be an object/);
  const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  parseError(craft(`{"w":${entry},"w":${entry}}`, [0, 0, 0, 0]), /duplicate tensor name "w"/);
  parseError(craft(`{"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0]), /duplicate key "dtype" in the header entry of "w"/);
  // An escaped spelling of the same name is still the same name.
  parseError(craft(`{"w":${entry},"\\u0077":${entry}}`, [0, 0, 0, 0]), /duplicate tensor name "w"/);
  parseError(craft({ w: 5 }), /tensor "w": entry must be an object/);
  parseError(craft({ __metadata__: { a: 1 } }), /"__metadata__" value for "a" must be a string/);
});

test("hostile entries: dtype, shape, ranges, sizes — all before any allocation", () => {
  const data = new Uint8Array(16);
  parseError(craft({ w: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, data), /tensor "w": unknown dtype "F128"/, /F32/);
  parseError(craft({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, data), /shape must be an array of non-negative integers/);
  parseError(craft({ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, data), /shape must be an array of non-negative integers/);
  parseError(craft({ w: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }, data), /shape must be an array/);
  parseError(craft({ w: { dtype: "F32", shape: [2], data_offsets: [8, 4] } }, data), /data_offsets must be \[begin, end\]/);
  parseError(craft({ w: { dtype: "F32", shape: [2], data_offsets: [0] } }, data), /data_offsets must be/);
  parseError(craft({ w: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, data), /byte range \[0, 32\) lies outside the data buffer \(16 bytes\)/);
  parseError(craft({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, data), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\) hold 8/);
  // A huge declared size is refused by arithmetic, never allocated.
  parseError(craft({ w: { dtype: "F64", shape: [1e15, 1e15], data_offsets: [0, 16] } }, data), /needs more bytes than the whole data buffer/);
  parseError(craft({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, data),
    /tensors "a" \[0, 8\) and "b" \[4, 12\) overlap/);
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 1n << 40n, true);
  parseError(craft({ n: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big), /tensor "n": int64 value 1099511627776 at element 0 does not fit in int32/);
  // Empty tensors may share an offset with anything.
  const ok = nb.safetensors.parseSafetensors(craft({ a: { dtype: "F32", shape: [0], data_offsets: [0, 0] }, b: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  assert.deepEqual(ok.tensors.get("a")!.shape, [0]);
  // File order is kept, even for integer-like names.
  const order = nb.safetensors.parseSafetensors(craft('{"b":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"0":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}', [1, 2]));
  assert.deepEqual([...order.tensors.keys()], ["b", "0"]);
});

test("serializeSafetensors rejects what it cannot write", () => {
  assertThrowsMatching(() => nb.safetensors.serializeSafetensors({ w: [1, 2] as unknown as nb.Tensor }), /serializeSafetensors: value for "w" is not a Tensor/);
  assertThrowsMatching(() => nb.safetensors.serializeSafetensors({ __metadata__: nb.zeros([1]) }), /"__metadata__" is reserved/);
  const t = nb.zeros([2]);
  t.dispose();
  assertThrowsMatching(() => nb.safetensors.serializeSafetensors({ gone: t }), /tensor "gone" has been disposed/);
  assertThrowsMatching(() => nb.safetensors.serializeSafetensors({ w: nb.zeros([1]) }, { v: 1 as unknown as string }), /metadata value for "v" must be a string/);
  // No tensors at all is a valid (empty) file.
  assert.equal(nb.safetensors.parseSafetensors(nb.safetensors.serializeSafetensors({})).tensors.size, 0);
});

test("nb.save a Module and nb.load it into a fresh one", async () => {
  const dir = tempDir();
  try {
    nb.manualSeed(1);
    const make = () => new nb.nn.Sequential(new nb.nn.Conv2d(2, 3, 3), new nb.nn.BatchNorm2d(3), new nb.nn.ReLU(), new nb.nn.Flatten(), new nb.nn.Linear(12, 4));
    const a = make();
    a.forward(nb.randn([4, 2, 4, 4])); // move the running statistics
    a.eval();
    const file = join(dir, "model.safetensors");
    await nb.save(a, file, { metadata: { epoch: "3" } });
    const sd = await nb.load(file);
    assert.deepEqual([...sd.keys()].sort(), [...a.stateDict().keys()].sort());
    assert.equal(sd.get("1.num_batches_tracked")!.dtype, "int32");
    assert.equal(sd.get("1.num_batches_tracked")!.item(), 1);
    assert.deepEqual(nb.safetensors.parseSafetensors(readFileSync(file)).metadata, { epoch: "3" });
    const b = make();
    b.loadStateDict(sd);
    b.eval();
    const x = nb.randn([2, 2, 4, 4]);
    assertClose(b.forward(x), a.forward(x), { rtol: 0, atol: 0 });
    // A plain record is a state dict too.
    await nb.save({ w: nb.tensor([1, 2]) }, join(dir, "rec.safetensors"));
    assert.deepEqual((await nb.load(join(dir, "rec.safetensors"))).get("w")!.toArray(), [1, 2]);
    assert.deepEqual(readdirSync(dir).sort(), ["model.safetensors", "rec.safetensors"], "no temporary files left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nb.save is atomic: a failure midway leaves the previous file intact", async () => {
  const dir = tempDir();
  try {
    const file = join(dir, "w.safetensors");
    await nb.save({ w: nb.tensor([1, 2, 3]) }, file);
    const before = readFileSync(file);
    // The second tensor's read fails after the header and the first tensor are written.
    const bad = nb.zeros([1000]);
    bad.data = async () => {
      throw new Error("device lost");
    };
    const good = nb.ones([1000], { dtype: "float64" });
    await rejectsMatching(nb.save({ good, bad }, file), /^save: could not write .*w\.safetensors: device lost/);
    assert.deepEqual(readFileSync(file), before, "previous file untouched");
    assert.deepEqual(readdirSync(dir), ["w.safetensors"], "the temporary file was removed");
    assert.deepEqual((await nb.load(file)).get("w")!.toArray(), [1, 2, 3]);
    // A directory that does not exist: an error, and nothing written.
    await rejectsMatching(nb.save({ w: nb.zeros([1]) }, join(dir, "missing", "w.safetensors")), /^save: could not write .*missing.*ENOENT/);
    // Saving over an existing file replaces it whole.
    await nb.save({ v: nb.tensor([9]) }, file);
    assert.deepEqual([...(await nb.load(file)).keys()], ["v"]);
    await rejectsMatching(nb.save(42 as unknown as object, file), /save: expected a Module or a state dict/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nb.load sniffs content and explains what it cannot read", async () => {
  const dir = tempDir();
  try {
    // Content decides, not the extension.
    const renamed = join(dir, "weights.bin");
    writeFileSync(renamed, readFileSync(join(FIXTURES, "reference.safetensors")));
    assert.equal((await nb.load(renamed)).get("scalar")!.item(), 2.5);
    const empty = join(dir, "empty.safetensors");
    writeFileSync(empty, "");
    await rejectsMatching(nb.load(empty), /^load: .*empty\.safetensors: the file is empty/);
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, "hello, this is not a weights file");
    await rejectsMatching(nb.load(junk), /^load: .*junk\.bin: not a safetensors file nor a PyTorch \.pt\/\.pth zip \(first bytes: 68 65 6c/);
    const truncated = join(dir, "cut.safetensors");
    writeFileSync(truncated, readFileSync(join(FIXTURES, "reference.safetensors")).subarray(0, 300));
    await rejectsMatching(nb.load(truncated), /^load: .*cut\.safetensors: header length \d+ bytes is larger than the file/);
    await rejectsMatching(nb.load(join(dir, "nope.safetensors")), /^load: cannot open .*nope\.safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
