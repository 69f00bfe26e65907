import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

type Nested = number | Nested[];
const int = (data: Nested): nb.Tensor => nb.tensor(data, { dtype: "int32" });

// ---------------------------------------------------------------------------------------------
// PyTorch references (scripts/fixtures/indexing.py)

interface Encoded { shape: number[]; dtype: nb.DType; data: number[] }
interface Case {
  name: string; op: string; args: Record<string, unknown>; transpose: boolean; inputs: Encoded[];
  output?: Encoded; outputs?: Encoded[]; gy?: Encoded; grads?: (Encoded | null)[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/indexing.json", import.meta.url), "utf8")) as { cases: Case[] };

const decode = (e: Encoded): nb.Tensor => nb.tensor(Float64Array.from(e.data), { shape: e.shape, dtype: e.dtype });

function runCase(c: Case, ts: nb.Tensor[]): nb.Tensor | nb.Tensor[] {
  const a = c.args as Record<string, never>;
  const [x, y, z] = ts;
  switch (c.op) {
    case "indexSelect": return nb.indexSelect(x, a.dim, y);
    case "indexAdd": return nb.indexAdd(x, a.dim, y, z, { alpha: a.alpha });
    case "gather": return nb.gather(x, a.dim, y);
    case "scatterAdd": return nb.scatterAdd(x, a.dim, y, z);
    case "scatter": return nb.scatter(x, a.dim, y, z ?? a.value);
    case "cat": return nb.cat(ts, a.dim);
    case "stack": return nb.stack(ts, a.dim);
    case "split": return nb.split(x, a.size, a.dim);
    case "chunk": return nb.chunk(x, a.chunks, a.dim);
    case "unbind": return nb.unbind(x, a.dim);
    case "pad": return nb.pad(x, a.pads, { mode: a.mode, value: a.value });
    case "maskedFill": return nb.maskedFill(x, y, a.value);
    case "maskedSelect": return nb.maskedSelect(x, y);
    case "oneHot": return nb.oneHot(x, a.numClasses);
    case "flip": return nb.flip(x, a.dims);
    case "roll": return nb.roll(x, a.shifts, a.dims);
    case "repeat": return x.repeat(a.sizes);
    case "tile": return nb.tile(x, a.dims);
    default: throw new Error(`unknown fixture op ${c.op}`);
  }
}

function assertMatches(t: nb.Tensor, e: Encoded, msg: string): void {
  assert.deepEqual(t.shape, e.shape, `${msg}: shape`);
  assert.equal(t.dtype, e.dtype, `${msg}: dtype`);
  assertClose(t, Float64Array.from(e.data), { rtol: 1e-12, atol: 1e-12, msg });
}

test("values and gradients match PyTorch on every fixture case", () => {
  assert.ok(fixture.cases.length > 50);
  for (const c of fixture.cases) {
    const leaves = c.inputs.map((e) => {
      const t = decode(e);
      if (c.grads && e.dtype === "float64") t.requiresGrad = true;
      return t;
    });
    const used = [...leaves];
    if (c.transpose) used[0] = used[0].transpose(-2, -1);
    const result = runCase(c, used);
    if (Array.isArray(result)) {
      assert.equal(result.length, c.outputs!.length, `${c.name}: number of results`);
      result.forEach((r, i) => assertMatches(r, c.outputs![i], `${c.name} result ${i}`));
      continue;
    }
    assertMatches(result, c.output!, c.name);
    if (!c.grads) continue;
    result.backward(decode(c.gy!));
    c.grads.forEach((g, i) => {
      if (g === null) return;
      assert.ok(leaves[i].grad, `${c.name}: input ${i} has no gradient`);
      assertMatches(leaves[i].grad!, g, `${c.name} grad ${i}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// hand-worked cases

test("indexSelect and gather pick the hand-worked elements", () => {
  const x = nb.tensor([[0, 1, 2], [3, 4, 5]]);
  assertClose(x.indexSelect(1, int([2, 0, 2])), [[2, 0, 2], [5, 3, 5]]);
  assertClose(x.indexSelect(0, int([1, 1, 0])), [[3, 4, 5], [3, 4, 5], [0, 1, 2]]);
  assertClose(x.t().indexSelect(0, int([2, 0])), [[2, 5], [0, 3]]);
  assertClose(x.indexSelect(1, nb.tensor(1, { dtype: "int32" })), [[1], [4]]);
  assertClose(x.gather(1, int([[0, 0], [1, 0]])), [[0, 0], [4, 3]]);
  assertClose(x.gather(0, int([[1, 0, 1]])), [[3, 1, 5]]);
  // A 0-d input is indexed as if it had shape [1], as in torch.
  assertClose(nb.tensor(5).indexSelect(0, int([0])), 5);
  assertClose(nb.tensor(5).gather(0, int([0, 0])), [5, 5]);
});

test("indexSelect gradient accumulates repeated indices", () => {
  const x = nb.zeros([3, 2], { requiresGrad: true });
  x.indexSelect(0, int([2, 0, 2, 2])).sum().backward();
  assertClose(x.grad!, [[1, 1], [0, 0], [3, 3]]);
});

test("scatterAdd accumulates and scatter keeps the last write to a repeated target", () => {
  const x = nb.tensor([[0, 1, 2], [3, 4, 5]]);
  assertClose(x.scatterAdd(1, int([[0, 0]]), nb.ones([2, 2])), [[2, 1, 2], [3, 4, 5]]);
  assertClose(x.scatter(1, int([[0, 0], [2, 1]]), nb.tensor([[7, 8], [9, 10]])), [[8, 1, 2], [3, 10, 9]]);
  assertClose(x.scatter(1, int([[0, 0], [2, 1]]), 5), [[5, 1, 2], [3, 5, 5]]);
  // A NaN in a losing write must not leak into the winner.
  assertClose(nb.zeros([1, 2]).scatter(1, int([[1, 1]]), nb.tensor([[NaN, 3]])), [[0, 3]]);
  // Integer and bool inputs keep their dtype; numbers are cast like torch.
  const xi = int([1, 2, 3]);
  const si = xi.scatter(0, int([2]), 7.9);
  assert.equal(si.dtype, "int32");
  assertClose(si, [1, 2, 7]);
  const b = nb.tensor([false, false, true]).scatter(0, int([0, 0]), 1);
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.toArray(), [true, false, true]);
});

test("the inputs of out-of-place scatter ops are left untouched", () => {
  const x = nb.zeros([2, 2]);
  x.scatterAdd(0, int([[1, 0]]), nb.ones([1, 2]));
  x.scatter(0, int([[1, 0]]), 3);
  x.indexAdd(0, int([1]), nb.ones([1, 2]));
  assertClose(x, [[0, 0], [0, 0]]);
});

test("cat, stack, split, chunk and unbind", () => {
  const a = nb.tensor([[1, 2], [3, 4]]), b = nb.tensor([[5], [6]]);
  assertClose(nb.cat([a, b], 1), [[1, 2, 5], [3, 4, 6]]);
  assertClose(nb.cat([a, nb.tensor([[7, 8]])]), [[1, 2], [3, 4], [7, 8]]);
  assertClose(nb.cat([nb.zeros([0]), nb.zeros([0])]), []);
  assertClose(nb.cat([a, nb.zeros([2, 0])], 1), a);
  // Skipped legacy empty tensors still take part in dtype promotion, as in torch.
  const promoted = nb.cat([nb.zeros([0], { dtype: "float64" }), int([[1, 2]])], 1);
  assert.equal(promoted.dtype, "float64");
  assertClose(promoted, [[1, 2]]);
  assertClose(nb.stack([a, a.neg()], 2), [[[1, -1], [2, -2]], [[3, -3], [4, -4]]]);
  const s = nb.arange(5).split(2);
  assert.deepEqual(s.map((t) => t.toArray()), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(nb.arange(6).chunk(4).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(nb.zeros([0]).chunk(3).map((t) => t.shape), [[0], [0], [0]]);
  assert.deepEqual(nb.zeros([0]).split(2).map((t) => t.shape), [[0]]);
  assert.deepEqual(a.unbind(1).map((t) => t.toArray()), [[1, 3], [2, 4]]);
  // split and chunk return views: they share the input's storage.
  const base = nb.arange(4);
  assert.equal(base.chunk(2)[1].storage, base.storage);
});

test("pad works out the hand-worked examples for every mode", () => {
  const r = nb.tensor([[[0, 1, 2]]]);
  assertClose(nb.pad(r, [2, 2], { mode: "reflect" }), [[[2, 1, 0, 1, 2, 1, 0]]]);
  assertClose(nb.pad(r, [2, 2], { mode: "replicate" }), [[[0, 0, 0, 1, 2, 2, 2]]]);
  assertClose(nb.pad(r, [2, 2], { mode: "circular" }), [[[1, 2, 0, 1, 2, 0, 1]]]);
  assertClose(nb.pad(r, [2, 2], { value: 9 }), [[[9, 9, 0, 1, 2, 9, 9]]]);
  assertClose(nb.pad(r, [-1, 2]), [[[1, 2, 0, 0]]]);
  assertClose(nb.pad(r, [-1, 2], { mode: "circular" }), [[[1, 2, 1, 2]]]);
  assertClose(nb.pad(nb.tensor([1, 2, 3]), [-2, -1]), []);
  assertClose(nb.pad(nb.tensor([[1, 2], [3, 4]]), [1, 0, 0, 1]), [[0, 1, 2], [0, 3, 4], [0, 0, 0]]);
  const ip = nb.pad(int([1, 2]), [1, 1], { value: 2.9 });
  assert.equal(ip.dtype, "int32");
  assertClose(ip, [2, 1, 2, 2]);
  // Zero padding still returns a new tensor.
  const z = nb.pad(r, [0, 0], { mode: "reflect" });
  assert.notEqual(z.storage, r.storage);
  assertClose(z, r);
});

test("maskedFill, maskedSelect and oneHot", () => {
  const x = nb.tensor([[0, 1, 2], [3, 4, 5]]);
  assertClose(x.maskedFill(nb.tensor([[true], [false]]), -1), [[-1, -1, -1], [3, 4, 5]]);
  assertClose(x.maskedFill(nb.tensor([false, true, false]), nb.tensor(7)), [[0, 7, 2], [3, 7, 5]]);
  assertClose(x.maskedSelect(nb.tensor([true, false, true])), [0, 2, 3, 5]);
  assertClose(x.maskedSelect(nb.zeros([2, 3], { dtype: "bool" })), []);
  const oh = nb.oneHot(int([0, 2]));
  assert.equal(oh.dtype, "int32");
  assert.deepEqual(oh.toArray(), [[1, 0, 0], [0, 0, 1]]);
  assert.deepEqual(nb.oneHot(nb.tensor(1, { dtype: "int32" }), 3).toArray(), [0, 1, 0]);
  assert.deepEqual(nb.oneHot(int([]), 4).shape, [0, 4]);
  assert.deepEqual(nb.oneHot(int([[1, 0]]).t(), 2).toArray(), [[[0, 1]], [[1, 0]]]);
});

test("flip, roll, repeat and tile", () => {
  const x = nb.tensor([[0, 1, 2], [3, 4, 5]]);
  assertClose(x.flip(0, 1), [[5, 4, 3], [2, 1, 0]]);
  assertClose(x.flip([1]), [[2, 1, 0], [5, 4, 3]]);
  assertClose(x.roll([1, -1], [0, 1]), [[4, 5, 3], [1, 2, 0]]);
  assertClose(x.roll(1), [[5, 0, 1], [2, 3, 4]]);
  assertClose(x.roll(-7, 1), [[1, 2, 0], [4, 5, 3]]);
  assertClose(nb.tensor([0, 1, 2]).repeat(2, 2), [[0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]]);
  assertClose(x.repeat(1, 0), nb.zeros([2, 0]));
  assertClose(x.tile([2]), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
  assertClose(nb.tensor(3).repeat([2]), [3, 3]);
});

test("the cpu kernels handle strided index and output views", () => {
  // An index read with stride 2 (every other element) and an output that is a transposed view.
  const xs = Float32Array.from([10, 11, 12, 13, 14, 15]); // [2, 3]
  const x = { buf: xs, dtype: "float32" as const, shape: [2, 3], strides: [3, 1], offset: 0 };
  const index = { buf: Int32Array.from([2, -9, 0, -9]), dtype: "int32" as const, shape: [2], strides: [2], offset: 0 };
  const outBuf = new Float32Array(4);
  const out = { buf: outBuf, dtype: "float32" as const, shape: [2, 2], strides: [1, 2], offset: 0 };
  cpuBackend.indexSelect(x, 1, index, out);
  // out[i][j] = x[i][index[j]] stored column-major.
  assert.deepEqual(Array.from(outBuf), [12, 15, 10, 13]);
  const acc = { buf: new Float32Array(6), dtype: "float32" as const, shape: [2, 3], strides: [3, 1], offset: 0 };
  cpuBackend.indexAdd(acc, 1, index, out);
  assert.deepEqual(Array.from(acc.buf as Float32Array), [10, 0, 12, 13, 0, 15]);
});

test("the cpu kernels throw instead of reading or writing outside the views", () => {
  const x = { buf: new Float32Array(6), dtype: "float32" as const, shape: [2, 3], strides: [3, 1], offset: 0 };
  const out = { buf: new Float32Array(4), dtype: "float32" as const, shape: [2, 2], strides: [2, 1], offset: 0 };
  const bad = { buf: Int32Array.from([1, 3]), dtype: "int32" as const, shape: [2], strides: [1], offset: 0 };
  assertThrowsMatching(() => cpuBackend.indexSelect(x, 1, bad, out), /^indexSelect: index 3 is out of range for dimension 1 of size 3/);
  assertThrowsMatching(() => cpuBackend.indexAdd(x, 1, bad, out), /^indexAdd: index 3 /);
  const neg = { buf: Int32Array.from([0, -1, 0, 0]), dtype: "int32" as const, shape: [2, 2], strides: [2, 1], offset: 0 };
  assertThrowsMatching(() => cpuBackend.gather(x, 1, neg, out), /^gather: index -1 is out of range/);
  assertThrowsMatching(() => cpuBackend.scatterAdd(x, 0, { ...neg, buf: Int32Array.from([0, 2, 0, 0]) }, out), /^scatterAdd: index 2 is out of range for dimension 0 of size 2/);
  const tooWide = { ...out, shape: [2, 4], strides: [4, 1], buf: new Float32Array(8) };
  const idx = { ...bad, buf: Int32Array.from([0, 1]) };
  assertThrowsMatching(() => cpuBackend.indexSelect(x, 1, idx, { ...tooWide, shape: [3, 2] }), /^indexSelect: out shape/);
  const bigIndex = { buf: new Int32Array(6), dtype: "int32" as const, shape: [3, 2], strides: [2, 1], offset: 0 };
  assertThrowsMatching(() => cpuBackend.gather(x, 1, bigIndex, { ...out, shape: [3, 2] }), /^gather: index \[3, 2\] does not fit/);
});

// ---------------------------------------------------------------------------------------------
// gradients against finite differences

test("gradients of indexSelect, indexAdd, gather, scatterAdd and scatter", () => {
  const x = randomInput([4, 3], 1);
  gradcheck((t) => t.indexSelect(0, int([3, 0, 3])), [x], { name: "indexSelect" });
  gradcheck((t) => t.transpose(0, 1).indexSelect(1, int([1, 1, 2])), [x], { name: "indexSelect transposed" });
  gradcheck((t) => t.indexSelect(1, int([])), [x], { name: "indexSelect empty index" });
  gradcheck((t, s) => nb.indexAdd(t, 1, int([2, 0, 2]), s, { alpha: 0.5 }), [x, randomInput([4, 3], 2)], { name: "indexAdd" });
  const gi = int([[0, 2, 2], [1, 1, 0], [2, 0, 0], [1, 1, 1]]);
  gradcheck((t) => t.gather(1, gi), [x], { name: "gather" });
  gradcheck((t) => t.t().gather(0, int([[2, 0, 1, 1]])), [x], { name: "gather transposed" });
  gradcheck((t, s) => t.scatterAdd(1, gi, s), [x, randomInput([4, 5], 3)], { name: "scatterAdd src larger than index" });
  const distinct = int([[0, 2], [1, 0], [2, 1], [0, 1]]);
  gradcheck((t, s) => t.scatter(1, distinct, s), [x, randomInput([4, 2], 4)], { name: "scatter" });
  gradcheck((t) => t.t().scatter(0, int([[1, 2, 0, 0]]), 3), [x], { name: "scatter number, transposed" });
});

test("gradients of cat, stack, split, chunk and unbind", () => {
  const a = randomInput([2, 3], 5), b = randomInput([3, 2], 6);
  gradcheck((p, q) => nb.cat([p, q.t(), p], 0), [a, b], { name: "cat transposed" });
  gradcheck((p, q) => nb.cat([p, nb.zeros([2, 0], { dtype: "float64" }), q.t()], 1), [a, b], { name: "cat with an empty dim" });
  gradcheck((p) => nb.cat([nb.zeros([0], { dtype: "float64" }), p], 1), [a], { name: "cat legacy empty" });
  gradcheck((p, q) => nb.stack([p, q.t()], 1), [a, b], { name: "stack" });
  // Weight each piece differently so every piece's gradient path counts.
  const weighted = (ps: nb.Tensor[]): nb.Tensor => ps.map((p, i) => p.mul(i + 1).sum()).reduce((s, v) => s.add(v));
  gradcheck((p) => weighted(p.split(2, 1)), [randomInput([2, 5], 7)], { name: "split" });
  gradcheck((p) => weighted(p.split([1, 0, 2], 0)), [randomInput([3, 2], 8)], { name: "split sections" });
  gradcheck((p) => weighted(p.t().chunk(2, 0)), [randomInput([2, 3], 9)], { name: "chunk transposed" });
  gradcheck((p) => weighted(p.unbind(1)), [randomInput([2, 3], 10)], { name: "unbind" });
});

test("gradients of pad in every mode, with crops, size-1 dims and non-contiguous input", () => {
  const x = randomInput([1, 2, 3, 4], 11);
  for (const mode of ["constant", "reflect", "replicate", "circular"] as const) {
    gradcheck((t) => nb.pad(t, [2, 1, 1, 2], { mode }), [x], { name: `pad ${mode}` });
    gradcheck((t) => nb.pad(t.transpose(-2, -1), [1, -1, 2, 0], { mode }), [x], { name: `pad ${mode} transposed and cropped` });
  }
  gradcheck((t) => nb.pad(t, [0, 0, 2, 3], { mode: "replicate" }), [randomInput([2, 1, 3], 12)], { name: "pad replicate size-1 dim" });
  gradcheck((t) => nb.pad(t, [1, 1, 1, 1, 1, 1], { mode: "reflect" }), [randomInput([1, 2, 3, 2], 13)], { name: "pad reflect 3 dims" });
  gradcheck((t) => nb.pad(t, [1, 2], { value: 3 }), [randomInput([0, 3], 14)], { name: "pad constant empty dim" });
  gradcheck((t) => nb.pad(t, [-2, -1]), [randomInput([2, 3], 15)], { name: "pad constant crop to nothing" });
});

test("gradients of maskedFill, maskedSelect, flip, roll, repeat and tile", () => {
  const x = randomInput([2, 3], 16);
  const m = nb.tensor([[true, false, true], [false, false, true]]);
  gradcheck((t) => t.maskedFill(m, 2), [x], { name: "maskedFill" });
  gradcheck((t) => t.maskedFill(nb.tensor([[true], [false]]), 2), [randomInput([3], 17)], { name: "maskedFill broadcasting x" });
  gradcheck((t, v) => t.maskedFill(m, v), [x, randomInput([], 18)], { name: "maskedFill tensor value" });
  gradcheck((t) => t.t().maskedSelect(nb.tensor([true, false])), [x], { name: "maskedSelect" });
  gradcheck((t) => t.flip(0, 1), [x], { name: "flip" });
  gradcheck((t) => t.t().flip(1), [x], { name: "flip transposed" });
  gradcheck((t) => t.roll([1, 2], [0, 1]), [x], { name: "roll" });
  gradcheck((t) => t.t().roll(4), [x], { name: "roll flattened" });
  gradcheck((t) => t.repeat(2, 1, 2), [x], { name: "repeat" });
  gradcheck((t) => t.t().repeat(1, 3), [x], { name: "repeat transposed" });
  gradcheck((t) => t.repeat(0, 2), [x], { name: "repeat zero" });
  gradcheck((t) => t.tile([2]), [randomInput([1, 3], 19)], { name: "tile" });
});

test("gradients with empty and size-1 dims", () => {
  const x = randomInput([4, 3], 20);
  gradcheck((t) => t.gather(1, int([]).reshape([0, 3])), [x], { name: "gather empty index" });
  gradcheck((t, s) => t.scatterAdd(0, int([]).reshape([0, 3]), s), [x, randomInput([2, 3], 21)], { name: "scatterAdd empty index" });
  gradcheck((t) => t.indexSelect(1, int([0, 0])), [randomInput([0, 1], 22)], { name: "indexSelect of an empty input" });
  gradcheck((t) => t.flip(0, 1), [randomInput([1, 3], 23)], { name: "flip size-1 dim" });
  gradcheck((t) => t.roll(2, 0), [randomInput([1, 3], 24)], { name: "roll size-1 dim" });
  gradcheck((t) => nb.stack(t.unbind(0), 1), [randomInput([1, 3], 25)], { name: "unbind size-1 dim" });
  gradcheck((t) => t.maskedFill(nb.zeros([0, 3], { dtype: "bool" }), 1), [randomInput([1, 3], 26)], { name: "maskedFill to an empty result" });
  gradcheck((t) => nb.pad(t, [1, 1], { mode: "circular" }), [randomInput([2, 1], 27)], { name: "pad circular size-1 dim" });
});

test("gradients flow to the right inputs when only some require grad", () => {
  const x = nb.ones([2, 2], { requiresGrad: true });
  const y = nb.ones([1, 2]);
  nb.cat([x, y]).sum().backward();
  assertClose(x.grad!, [[1, 1], [1, 1]]);
  assert.equal(y.grad, null);
  const src = nb.ones([1, 2], { requiresGrad: true });
  nb.zeros([2, 2]).scatterAdd(0, int([[1, 1]]), src).mul(nb.tensor([[1, 2], [3, 4]])).sum().backward();
  assertClose(src.grad!, [[3, 4]]);
});

// ---------------------------------------------------------------------------------------------
// bad input

test("out-of-range and wrongly typed indices name the op, value, dim and size", () => {
  const x = nb.zeros([3, 2]);
  assertThrowsMatching(() => x.indexSelect(0, int([0, 5])), /^indexSelect: index 5 is out of range for dimension 0 of size 3$/);
  assertThrowsMatching(() => x.indexSelect(1, int([-1])), /^indexSelect: index -1 is out of range for dimension 1 of size 2$/);
  assertThrowsMatching(() => x.indexSelect(0, int([[0]])), /^indexSelect: index must be a 0-d or 1-d tensor, got shape \[1, 1\]/);
  assertThrowsMatching(() => x.gather(0, nb.tensor([[0]])), /^gather: index must be an int32 tensor, got float32$/);
  assertThrowsMatching(() => x.gather(1, int([[0, 2]])), /^gather: index 2 is out of range for dimension 1 of size 2$/);
  assertThrowsMatching(() => x.gather(1, int([0])), /^gather: index must have as many dimensions as the input/, /\[1\]/, /\[3, 2\]/);
  assertThrowsMatching(() => x.gather(1, int([[0], [0], [0], [0]])), /^gather: index of shape \[4, 1\] must be no larger than the input \[3, 2\] except in dimension 1/);
  assertThrowsMatching(() => x.scatterAdd(0, int([[3]]), nb.ones([1, 1])), /^scatterAdd: index 3 is out of range for dimension 0 of size 3$/);
  assertThrowsMatching(() => x.scatterAdd(0, int([[0, 1]]), nb.ones([1, 1])), /^scatterAdd: index of shape \[1, 2\]/, /src \[1, 1\]/);
  assertThrowsMatching(() => x.scatterAdd(0, int([[0]]), nb.ones([1, 1], { dtype: "float64" })), /^scatterAdd: src must have the input's dtype float32, got float64$/);
  assertThrowsMatching(() => x.scatter(0, nb.tensor([[0]]), 1), /^scatter: index must be an int32 tensor, got float32$/);
  assertThrowsMatching(() => x.indexAdd(0, int([0]), nb.ones([2, 2])), /^indexAdd: source of shape \[2, 2\] must have shape \[1, 2\]/);
  assertThrowsMatching(() => x.indexSelect(2, int([0])), /^indexSelect: dimension 2 is out of range/);
});

test("bad join, split and pad arguments are clear errors", () => {
  assertThrowsMatching(() => nb.cat([nb.zeros([2, 3]), nb.zeros([2, 4])]), /^cat: /, /dimension 0/, /\[2, 3\]/, /\[2, 4\]/);
  assertThrowsMatching(() => nb.cat([nb.zeros([2, 3]), nb.zeros([2])], 0), /^cat: /, /\[2, 3\]/, /\[2\]/);
  assertThrowsMatching(() => nb.cat([]), /^cat: expected a non-empty array of tensors$/);
  assertThrowsMatching(() => nb.cat([nb.tensor(1), nb.tensor(2)]), /^cat: tensors\[0\] is 0-d/);
  assertThrowsMatching(() => nb.cat([nb.zeros([2]), [1, 2] as unknown as nb.Tensor]), /^cat: tensors\[1\] must be a Tensor/);
  assertThrowsMatching(() => nb.stack([nb.zeros([2]), nb.zeros([3])]), /^stack: expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1$/);
  const x = nb.zeros([6]);
  assertThrowsMatching(() => x.split(2.5), /^split: split size must be a non-negative integer, got 2.5$/);
  assertThrowsMatching(() => x.split(0), /^split: split size can be 0 only when dimension 0 has size 0/);
  assertThrowsMatching(() => x.split([1, 2]), /^split: split sizes \[1,2\] must add up to the size 6 of dimension 0, but they add up to 3$/);
  assertThrowsMatching(() => x.split([1, 2.5, 2.5]), /^split: split sizes must be non-negative integers/);
  assertThrowsMatching(() => x.chunk(0), /^chunk: chunks must be greater than 0, got 0$/);
  assertThrowsMatching(() => x.chunk(-2), /^chunk: chunks must be greater than 0, got -2$/);
  assertThrowsMatching(() => x.chunk(1.5), /^chunk: chunks must be an integer, got 1.5$/);
  assertThrowsMatching(() => nb.tensor(1).unbind(), /^unbind: cannot split a 0-d tensor$/);
  const r = nb.zeros([1, 1, 3]);
  assertThrowsMatching(() => nb.pad(r, [3, 0], { mode: "reflect" }), /^pad: reflect padding 3 must be less than the input size 3 of dimension -1$/);
  assertThrowsMatching(() => nb.pad(r, [0, 0, 1, 0], { mode: "reflect" }), /^pad: reflect padding 1 must be less than the input size 1 of dimension -2$/);
  assertThrowsMatching(() => nb.pad(r, [4, 0], { mode: "circular" }), /^pad: circular padding 4 must not be larger than the input size 3 of dimension -1$/);
  assertThrowsMatching(() => nb.pad(nb.zeros([1, 0]), [1, 0], { mode: "replicate" }), /^pad: replicate padding needs a non-empty dimension -1, got size 0$/);
  assertThrowsMatching(() => nb.pad(r, [1, 2, 3]), /^pad: pads must come in \[before, after\] pairs, got 3 values$/);
  assertThrowsMatching(() => nb.pad(r, [1, 1, 1, 1, 1, 1, 1, 1]), /^pad: 8 pad values pad 4 dimensions, but the input of shape \[1, 1, 3\] has 3$/);
  assertThrowsMatching(() => nb.pad(r, [-2, -2]), /^pad: padding \(-2, -2\) of dimension -1 \(size 3\) gives a negative output size -1$/);
  assertThrowsMatching(() => nb.pad(r, [1.5, 1]), /^pad: pads must be an array of integers/);
  assertThrowsMatching(() => nb.pad(r, [1, 1], { mode: "wrap" as never }), /^pad: mode must be one of "constant", "reflect", "replicate", "circular", got "wrap"$/);
  assertThrowsMatching(() => nb.pad(r, [1, 1], { mode: "reflect", value: 1 }), /^pad: value applies only to constant padding, not "reflect"$/);
});

test("bad mask, one-hot, flip, roll and repeat arguments are clear errors", () => {
  const x = nb.zeros([2, 3]);
  assertThrowsMatching(() => x.maskedFill(int([1, 0, 1]), 1), /^maskedFill: mask must be a bool tensor, got int32$/);
  assertThrowsMatching(() => x.maskedFill(nb.tensor([true, false]), 1), /^maskedFill: shapes \[2, 3\] and \[2\] cannot be broadcast/);
  assertThrowsMatching(() => x.maskedFill(nb.tensor([true, false, true]), nb.zeros([1])), /^maskedFill: a tensor value must be 0-d, got shape \[1\]$/);
  assertThrowsMatching(() => x.maskedSelect(nb.tensor([1, 0, 1])), /^maskedSelect: mask must be a bool tensor, got float32$/);
  assertThrowsMatching(() => nb.oneHot(nb.tensor([0, 1])), /^oneHot: input must be an int32 tensor, got float32$/);
  assertThrowsMatching(() => nb.oneHot(int([0, 3]), 3), /^oneHot: class value 3 is out of range for numClasses 3$/);
  assertThrowsMatching(() => nb.oneHot(int([0, -1]), 3), /^oneHot: class values must be non-negative, got -1$/);
  assertThrowsMatching(() => nb.oneHot(int([])), /^oneHot: cannot infer numClasses from an empty tensor; pass numClasses$/);
  assertThrowsMatching(() => nb.oneHot(int([1]), -2), /^oneHot: numClasses must be a non-negative integer or -1/);
  assertThrowsMatching(() => x.flip(1, -1), /^flip: dims \[1,-1\] name a dimension more than once$/);
  assertThrowsMatching(() => x.flip(2), /^flip: dimension 2 is out of range/);
  assertThrowsMatching(() => x.roll([1, 2], [0]), /^roll: shifts and dims must have the same length, got 2 shift\(s\) and 1 dim\(s\)$/);
  assertThrowsMatching(() => x.roll([1, 2]), /^roll: without dims, shifts must be a single number/);
  assertThrowsMatching(() => x.roll(1.5, 0), /^roll: shifts must be an integer, got 1.5$/);
  assertThrowsMatching(() => x.repeat(2), /^repeat: got 1 repeat count\(s\) for a tensor with 2 dimensions/);
  assertThrowsMatching(() => x.repeat(2, -1), /^repeat: repeat counts must be non-negative integers, got \[2,-1\]$/);
});
