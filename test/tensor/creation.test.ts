import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

test("tensor() infers shape and defaults to float32; int32 and bool on request", () => {
  const t = nb.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, "float32");
  assert.equal(t.ndim, 2);
  assert.equal(t.numel(), 6);
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(nb.tensor([1, 2], { dtype: "int32" }).dtype, "int32");
  assert.equal(nb.tensor([true, false]).dtype, "bool");
  assert.deepEqual(nb.tensor([true, false]).toArray(), [true, false]);
  const s = nb.tensor(3.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.item(), 3.5);
});

test("tensor() from a typed array takes opts.shape and copies the data", () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = nb.tensor(data, { shape: [3, 2] });
  data[0] = 100;
  assertClose(t, [[1, 2], [3, 4], [5, 6]]);
  assertThrowsMatching(() => nb.tensor(data, { shape: [4, 2] }), /tensor:/, /\[4, 2\]/, /6/);
});

test("ragged nested arrays and bad elements are rejected with their position", () => {
  assertThrowsMatching(() => nb.tensor([[1, 2], [3]]), /ragged/, /\[1\]/);
  assertThrowsMatching(() => nb.tensor([[1, "x" as unknown as number]]), /element at \[0, 1\] is string/);
});

test("zero-size dimensions are allowed", () => {
  const e = nb.zeros([0, 3]);
  assert.equal(e.numel(), 0);
  assert.deepEqual(e.toArray(), []);
  assert.deepEqual(nb.tensor([]).shape, [0]);
});

test("filled, range and identity creators match torch", () => {
  assertClose(nb.full([2, 2], 7), [[7, 7], [7, 7]]);
  assertClose(nb.ones([3]), [1, 1, 1]);
  assertClose(nb.arange(5), [0, 1, 2, 3, 4]);
  assertClose(nb.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
  assertClose(nb.arange(5, 0, -2), [5, 3, 1]);
  assertClose(nb.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assertClose(nb.eye(3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assertClose(nb.zerosLike(nb.ones([2, 1])), [[0], [0]]);
  assert.equal(nb.onesLike(nb.tensor([1], { dtype: "int32" })).dtype, "int32");
  assertThrowsMatching(() => nb.arange(0, 5, 0), /arange: step must be non-zero/);
  assertThrowsMatching(() => nb.zeros([2, -1]), /invalid size -1/);
});

test("manualSeed makes random draws reproducible, and generators are independent", () => {
  nb.manualSeed(42);
  const a = nb.randn([5]).dataSync();
  const u = nb.rand([3]).dataSync();
  nb.manualSeed(42);
  assert.deepEqual(nb.randn([5]).dataSync(), a);
  assert.deepEqual(nb.rand([3]).dataSync(), u);
  const g1 = new nb.Generator(7), g2 = new nb.Generator(7);
  assert.deepEqual(nb.rand([4], { generator: g1 }).dataSync(), nb.rand([4], { generator: g2 }).dataSync());
  assert.notDeepEqual(nb.rand([4], { generator: g1 }).dataSync(), nb.rand([4], { generator: new nb.Generator(8) }).dataSync());
});

test("random draws have the right distribution", () => {
  const g = new nb.Generator(3);
  const u = nb.rand([20000], { generator: g });
  const n = nb.randn([20000], { generator: g });
  assert.ok(Math.abs(u.mean().item() - 0.5) < 0.01, "uniform mean");
  assert.ok(u.min().item() >= 0 && u.max().item() < 1, "uniform range");
  assert.ok(Math.abs(n.mean().item()) < 0.03, "normal mean");
  assert.ok(Math.abs(n.std().item() - 1) < 0.03, "normal std");
  const r = nb.randint(2, 5, [1000], { generator: g });
  assert.equal(r.dtype, "int32");
  assert.equal(r.min().item(), 2);
  assert.equal(r.max().item(), 4);
});

test("Philox draws are pinned: the same seed gives these exact numbers on every backend", () => {
  // Philox4x32-10 known-answer test (Salmon et al., counter 0, key 0): the first word is 0x6627e8d5.
  const g = new nb.Generator(0);
  const u = nb.rand([1], { generator: g, dtype: "float64" }).item();
  assert.equal(u, (0x6627e8d5 >>> 8) / 16777216);
});

test("item() and reading a disposed tensor give clear errors", () => {
  assertThrowsMatching(() => nb.ones([2]).item(), /item: only one-element tensors/, /\[2\]/);
  const t = nb.ones([2]);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assertThrowsMatching(() => t.dataSync(), /disposed/);
  assertThrowsMatching(() => t.add(1), /disposed/);
});

test("toString prints like torch", () => {
  assert.equal(nb.tensor([[1, 2], [3, 4]]).toString(), "tensor([[1., 2.],\n        [3., 4.]])");
  assert.equal(nb.tensor([1, 2], { dtype: "int32" }).toString(), "tensor([1, 2], dtype=int32)");
  assert.match(nb.ones([1], { requiresGrad: true }).toString(), /requiresGrad=true/);
});
