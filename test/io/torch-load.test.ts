import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";

// Fixtures: scripts/fixtures/weights.py (torch 1.13's torch.save).
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "weights");
const MARKER = "/tmp/nabla-weights-fixture-pwned";
type Described = { dtype: nb.DType; shape: number[]; data: (number | string | boolean)[] };
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Record<string, Record<string, Described>>;

function numbers(d: Described): number[] {
  return d.data.map((v) => (typeof v === "string" ? Number(v.replace("inf", "Infinity").replace("nan", "NaN")) : Number(v)));
}

function assertStateDict(sd: Map<string, nb.Tensor>, want: Record<string, Described>): void {
  assert.deepEqual([...sd.keys()], Object.keys(want), "keys in file order");
  for (const [name, d] of Object.entries(want)) {
    const t = sd.get(name) as nb.Tensor;
    assert.equal(t.dtype, d.dtype, `${name}: dtype`);
    assert.deepEqual(t.shape, d.shape, `${name}: shape`);
    assert.deepEqual([...t.dataSync()], numbers(d), `${name}: values`);
  }
}

async function rejectsMatching(p: Promise<unknown>, ...patterns: RegExp[]): Promise<Error> {
  let caught: unknown = null;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, "expected a rejection");
  for (const re of patterns) assert.match((caught as Error).message, re);
  return caught as Error;
}

// ---- hand-made pickles and torch-like archives ------------------------------------------------
const enc = new TextEncoder();
const op = {
  proto: (v: number) => [0x80, v],
  global: (module: string, name: string) => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b];
  },
  int: (n: number) => [0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff],
  mark: [0x28], tuple: [0x74], tuple1: [0x85], emptyTuple: [0x29], emptyDict: [0x7d], reduce: [0x52],
  setitem: [0x73], build: [0x62], stop: [0x2e], none: [0x4e], newFalse: [0x89], persid: [0x51],
};
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

/** ('storage', torch.FloatStorage, key, 'cpu', numel) as a persistent id. */
const storagePid = (key: string, numel: number, type = "FloatStorage") =>
  [...op.mark, ...op.str("storage"), ...op.global("torch", type), ...op.str(key), ...op.str("cpu"), ...op.int(numel), ...op.tuple, ...op.persid];

/** _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) */
const tensorCall = (pid: number[], offset: number, size: number[], stride: number[]) => [
  ...op.global("torch._utils", "_rebuild_tensor_v2"), ...op.mark, ...pid, ...op.int(offset),
  ...op.mark, ...size.flatMap(op.int), ...op.tuple, ...op.mark, ...stride.flatMap(op.int), ...op.tuple,
  ...op.newFalse, ...op.global("collections", "OrderedDict"), ...op.emptyTuple, ...op.reduce, ...op.tuple, ...op.reduce,
];

/** {name: tensor} as a pickle. */
const stateDictPickle = (entries: [string, number[]][]) =>
  bytes(op.proto(2), op.emptyDict, ...entries.flatMap(([k, t]) => [op.str(k), t, op.setitem]), op.stop);

function torchZip(dir: string, name: string, pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, extra: Record<string, Uint8Array> = {}): string {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { "archive/data.pkl": [pickle, { level: 0 }] };
  for (const [k, v] of Object.entries(storages)) files[`archive/data/${k}`] = [v, { level: 0 }];
  for (const [k, v] of Object.entries(extra)) files[k] = [v, { level: 0 }];
  files["archive/version"] = [enc.encode("3\n"), { level: 0 }];
  const path = join(dir, name);
  writeFileSync(path, zipSync(files));
  return path;
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nabla-pt-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- files written by torch ------------------------------------------------------------------

test("a torch.save'd Conv2d+BatchNorm2d+Linear state dict loads with equal values and runs equal", async () => {
  const sd = await nb.load(join(FIXTURES, "seq.pt"));
  assertStateDict(sd, expected["seq.pt"]);
  assert.equal(sd.get("1.num_batches_tracked")!.dtype, "int32", "int64 buffer read as int32");
  assert.equal(sd.get("1.num_batches_tracked")!.item(), 2);
  const model = new nb.nn.Sequential(new nb.nn.Conv2d(2, 3, 3), new nb.nn.BatchNorm2d(3), new nb.nn.ReLU(), new nb.nn.Flatten(), new nb.nn.Linear(12, 4));
  model.loadStateDict(sd);
  model.eval();
  const probe = expected.seq_eval as unknown as Record<string, { shape: number[]; data: number[] }>;
  const x = nb.tensor(probe.input.data).reshape(probe.input.shape);
  assertClose(model.forward(x), nb.tensor(probe.output.data).reshape(probe.output.shape), { rtol: 1e-5, atol: 1e-6 });
});

test("deflated archives and protocol-4 pickles read the same", async () => {
  assertStateDict(await nb.load(join(FIXTURES, "seq_deflated.pt")), expected["seq.pt"]);
  assertStateDict(await nb.load(join(FIXTURES, "seq_protocol4.pt")), expected["seq.pt"]);
});

test("views saved by torch: transposed, offset slices, stride-0 expansion, 0-d, empty, 3-d permutation", async () => {
  const sd = await nb.load(join(FIXTURES, "views.pt"));
  assertStateDict(sd, expected["views.pt"]);
  assert.deepEqual(sd.get("sliced")!.toArray(), [[0.25, 0.75, 1.25], [1.5, 2, 2.5], [2.75, 3.25, 3.75]]);
  // Each tensor owns its data even though torch stored them in one shared storage.
  const transposed = sd.get("transposed")!;
  transposed.add_(100);
  assert.deepEqual((sd.get("sliced")!.toArray() as number[][])[0], [0.25, 0.75, 1.25]);
});

test("every torch storage type, and nn.Parameter values", async () => {
  const sd = await nb.load(join(FIXTURES, "dtypes.pt"));
  assertStateDict(sd, expected["dtypes.pt"]);
  assert.deepEqual([...sd.get("f16")!.dataSync()], [1, -2.5, 65504, 2 ** -24, Infinity]);
  assert.deepEqual([...sd.get("i64")!.dataSync()], [-2147483648, 2147483647, -1, 7]);
  assert.equal(sd.get("param")!.requiresGrad, false);
});

test("int64 values beyond int32, checkpoints and legacy files are clear errors", async () => {
  await rejectsMatching(nb.load(join(FIXTURES, "int64_overflow.pt")), /^load: .*int64_overflow\.pt: tensor "x": int64 value 1099511627776 at element 1 does not fit in int32/);
  await rejectsMatching(nb.load(join(FIXTURES, "checkpoint.pt")), /^load: .*checkpoint\.pt: entry "model" is dict of 1, not a tensor/, /state dict is under "model"/);
  await rejectsMatching(nb.load(join(FIXTURES, "legacy.pt")), /^load: .*legacy\.pt: this is a bare pickle \(PyTorch's legacy format before 1\.6/);
});

// ---- malicious pickles -------------------------------------------------------------------------

test("a pickle calling os.system is refused and nothing runs", async () => {
  rmSync(MARKER, { force: true });
  await rejectsMatching(nb.load(join(FIXTURES, "malicious_os_system.pt")),
    /^load: .*malicious_os_system\.pt: malicious_os_system\/data\.pkl: GLOBAL at byte 2: refused global os\.system/, /nothing was executed/);
  await rejectsMatching(nb.load(join(FIXTURES, "malicious_reduce.pt")), /GLOBAL at byte 13: refused global posix\.system/);
  assert.equal(existsSync(MARKER), false, "the command did not run");
});

test("crafted pickles: other globals, instantiating opcodes, misuse of allowed globals", () =>
  withDir(async (dir) => {
    const cases: [string, Uint8Array, RegExp][] = [
      // Protocol 4 STACK_GLOBAL of builtins.eval.
      ["stack_global.pt", bytes(op.proto(4), [0x8c, 8, ...enc.encode("builtins"), 0x94, 0x8c, 4, ...enc.encode("eval"), 0x94, 0x93], op.stop),
        /STACK_GLOBAL at byte \d+: refused global builtins\.eval/],
      // INST names a class inline (protocol 0); refused before anything is looked up.
      ["inst.pt", bytes(op.proto(2), op.mark, [0x69, ...enc.encode("os\nsystem\n")], op.stop), /INST at byte 3: refused: this opcode instantiates arbitrary classes/],
      ["newobj.pt", bytes(op.proto(2), op.global("collections", "OrderedDict"), op.emptyTuple, [0x81], op.stop), /NEWOBJ at byte \d+: refused/],
      ["obj.pt", bytes(op.proto(2), op.mark, op.global("collections", "OrderedDict"), [0x6f], op.stop), /OBJ at byte \d+: refused/],
      // An allowed storage class is a marker only: calling it is refused.
      ["call_storage.pt", bytes(op.proto(2), op.global("torch", "FloatStorage"), op.emptyTuple, op.reduce, op.stop),
        /REDUCE at byte \d+: refused to call torch\.FloatStorage: it is allowed only as a marker/],
      // REDUCE on something that is not a global at all.
      ["call_string.pt", bytes(op.proto(2), op.str("os.system"), op.emptyTuple, op.reduce, op.stop), /REDUCE at byte \d+: refused to call str "os\.system"/],
      // BUILD (setstate) on a tensor is not something a state dict does.
      ["build_tensor.pt", bytes(op.proto(2), tensorCall(storagePid("0", 1), 0, [1], [1]), op.emptyDict, op.build, op.stop), /refused BUILD \(setstate\) on a tensor of size \[1\]/],
      ["persid_other.pt", bytes(op.proto(2), op.str("module"), op.persid, op.stop), /unsupported persistent id str "module"/],
      ["text_global_in_persid.pt", bytes(op.proto(2), op.mark, op.str("storage"), op.global("os", "system"), op.tuple, op.persid, op.stop), /refused global os\.system/],
      ["truncated.pt", bytes(op.proto(2), op.emptyDict, [0x58, 100, 0, 0, 0, 0x41]), /BINUNICODE at byte 3: needs 100 more bytes but the pickle ends at byte 9 \(truncated\)/],
      ["no_stop.pt", bytes(op.proto(2), op.emptyDict), /without a STOP opcode/],
      ["memo.pt", bytes(op.proto(2), [0x68, 7], op.stop), /BINGET at byte 2: memo slot 7 was never stored/],
      ["underflow.pt", bytes(op.proto(2), op.setitem, op.stop), /SETITEM at byte 2: stack underflow/],
      ["unknown_op.pt", bytes(op.proto(2), [0x46, ...enc.encode("1.0\n")], op.stop), /FLOAT at byte 2: unsupported pickle opcode/],
      ["not_dict.pt", bytes(op.proto(2), op.none, op.stop), /the pickle holds None, not a state dict/],
    ];
    for (const [name, pickle, pattern] of cases) {
      const path = torchZip(dir, name, pickle, { "0": f32(1) });
      await rejectsMatching(nb.load(path), new RegExp(`^load: .*${name.replace(".", "\\.")}: `), pattern);
    }
  }));

test("crafted archives: views past their storage, missing or mis-sized storages, non-torch zips", () =>
  withDir(async (dir) => {
    // A valid hand-made file loads, so the failures below are about what each one changes.
    const good = torchZip(dir, "good.pt", stateDictPickle([["w", tensorCall(storagePid("0", 6), 1, [2, 2], [1, 2])]]), { "0": f32(0, 1, 2, 3, 4, 5) });
    assert.deepEqual((await nb.load(good)).get("w")!.toArray(), [[1, 3], [2, 4]]);

    const past = torchZip(dir, "past.pt", stateDictPickle([["w", tensorCall(storagePid("0", 6), 2, [2, 3], [3, 1])]]), { "0": f32(0, 1, 2, 3, 4, 5) });
    await rejectsMatching(nb.load(past), /tensor "w" \(size \[2, 3\], stride \[3, 1\], offset 2\) reaches past the end of its storage of 6 elements/);
    const missing = torchZip(dir, "missing.pt", stateDictPickle([["w", tensorCall(storagePid("7", 1), 0, [1], [1])]]));
    await rejectsMatching(nb.load(missing), /tensor "w": storage entry archive\/data\/7 is missing from the archive/);
    const short = torchZip(dir, "short.pt", stateDictPickle([["w", tensorCall(storagePid("0", 4), 0, [4], [1])]]), { "0": f32(1, 2) });
    await rejectsMatching(nb.load(short), /storage archive\/data\/0 holds 8 bytes, but 4 F32 elements need 16/);
    const huge = torchZip(dir, "huge.pt", stateDictPickle([["w", tensorCall(storagePid("0", 1), 0, [100000, 100000], [0, 0])]]), { "0": f32(1) });
    await rejectsMatching(nb.load(huge), /has 10000000000 elements, more than can be materialized/);

    const script = join(dir, "script.pt");
    writeFileSync(script, zipSync({ "m/constants.pkl": enc.encode("x"), "m/code/m.py": enc.encode("def f(): pass") }));
    await rejectsMatching(nb.load(script), /script\.pt: this is a TorchScript archive/);
    const other = join(dir, "other.zip");
    writeFileSync(other, zipSync({ "readme.txt": enc.encode("hi") }));
    await rejectsMatching(nb.load(other), /other\.zip: zip archive has no <archive>\/data\.pkl/);
    const cut = join(dir, "cut.pt");
    writeFileSync(cut, readFileSync(join(FIXTURES, "seq.pt")).subarray(0, 1500));
    await rejectsMatching(nb.load(cut), /^load: .*cut\.pt: not a readable zip archive/);
    // Flip one byte inside a stored tensor: the CRC-32 check catches it.
    const corrupt = Buffer.from(readFileSync(join(FIXTURES, "seq.pt")));
    const at = corrupt.indexOf(Buffer.from("seq/data/0"));
    corrupt[at + 200] ^= 0xff;
    const corruptPath = join(dir, "corrupt.pt");
    writeFileSync(corruptPath, corrupt);
    await rejectsMatching(nb.load(corruptPath), /zip entry "seq\/data\/0" is corrupt \(CRC-32 mismatch\)/);
  }));
