// View and shape ops, hand-worked: storage sharing (writes through views reach the base), when
// reshape copies and view refuses, zero-size and 0-d shapes, negative and out-of-range dims, and
// gradients through chains of views.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching, gradcheck, randomInput } from "../helpers/assert.js";

const grid = () => nb.arange(12).reshape(3, 4); // [[0..3], [4..7], [8..11]]

test("views share storage: copy_ through a view under noGrad changes the base", () => {
  const base = grid().requiresGrad_();
  nb.noGrad(() => {
    const col = base.transpose(0, 1).slice(0, 2, 3); // column 2 as a [1, 3] view
    assert.equal(col.storage, base.storage);
    col.copy_(nb.tensor([[-1, -2, -3]]));
  });
  assertClose(base.detach(), [[0, 1, -1, 3], [4, 5, -2, 7], [8, 9, -3, 11]]);
  // outside noGrad the write is refused: autograd would not see it
  const col = base.slice(1, 0, 1);
  assertThrowsMatching(() => col.copy_(nb.zeros([3, 1])), /^copy_: /, /noGrad/);
});

test("every view op aliases its input; writes through any of them reach the base", () => {
  const views: [string, (t: nb.Tensor) => nb.Tensor, number[]][] = [
    // name, view, and the base's flat indices the view's first two elements sit at
    ["view", (t) => t.view(12), [0, 1]],
    ["reshape (contiguous)", (t) => t.reshape(2, 6), [0, 1]],
    ["flatten", (t) => t.flatten(), [0, 1]],
    ["transpose", (t) => t.transpose(0, 1), [0, 4]],
    ["t", (t) => t.t(), [0, 4]],
    ["permute", (t) => t.permute(1, 0), [0, 4]],
    ["unsqueeze", (t) => t.unsqueeze(1), [0, 1]],
    ["squeeze", (t) => t.unsqueeze(0).squeeze(0), [0, 1]],
    ["slice step 2", (t) => t.slice(1, 1, undefined, 2), [1, 3]],
    ["slice negative start", (t) => t.slice(0, -1), [8, 9]],
    ["narrow", (t) => t.narrow(1, 2, 2), [2, 3]],
    ["transposed slice", (t) => t.transpose(0, 1).slice(0, 3), [3, 7]],
  ];
  for (const [name, f, at] of views) {
    const base = grid();
    const v = f(base);
    assert.equal(v.storage, base.storage, `${name} shares storage`);
    const firstTwo = v.flatten().slice(0, 0, 2);
    assert.deepEqual(Array.from(firstTwo.dataSync()), at, `${name} reads the right elements`);
    nb.noGrad(() => v.fill_(-5));
    const data = base.dataSync();
    for (const i of at) assert.equal(data[i], -5, `${name}: write reached base element ${i}`);
  }
});

test("a strided slice writes only its own elements", () => {
  const base = nb.zeros([2, 6]);
  base.slice(1, 1, 6, 2).fill_(7);
  assertClose(base, [[0, 7, 0, 7, 0, 7], [0, 7, 0, 7, 0, 7]]);
  base.transpose(0, 1).slice(0, 0, 6, 3).copy_(nb.tensor([[1, 2], [3, 4]]));
  assertClose(base, [[1, 7, 0, 3, 0, 7], [2, 7, 0, 4, 0, 7]]);
});

test("reshape of a non-contiguous tensor copies; view() refuses with a clear error", () => {
  const base = grid();
  const t = base.transpose(0, 1); // [4, 3], strides [1, 4]
  assert.equal(t.isContiguous(), false);
  const r = t.reshape(-1);
  assert.notEqual(r.storage, base.storage);
  assert.deepEqual(Array.from(r.dataSync()), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  r.fill_(0);
  assert.equal(base.dataSync()[1], 1, "writing the copy leaves the base alone");
  assertThrowsMatching(() => t.view(12), /^view: /, /\[4, 3\]/, /strides \[1, 4\]/, /\[12\]/, /reshape|contiguous/);
  // A layout-compatible view of a non-contiguous tensor is allowed and aliases: split a dim.
  const split = t.view(2, 2, 3);
  assert.equal(split.storage, base.storage);
  assert.deepEqual(split.strides, [2, 1, 4]);
  assertClose(split.slice(0, 1, 2).reshape(2, 3), [[2, 6, 10], [3, 7, 11]]);
  // contiguous() copies only when needed
  assert.equal(base.contiguous(), base);
  const c = t.contiguous();
  assert.notEqual(c.storage, base.storage);
  assert.ok(c.isContiguous());
  assert.notEqual(base.clone().storage, base.storage);
});

test("reshape infers one -1 and rejects sizes that do not fit", () => {
  const x = nb.zeros([2, 3, 4]);
  assert.deepEqual(x.reshape(4, -1).shape, [4, 6]);
  assert.deepEqual(x.reshape([-1]).shape, [24]);
  assert.deepEqual(x.view(-1, 2, 3).shape, [4, 2, 3]);
  assertThrowsMatching(() => x.reshape(5, -1), /^reshape: /, /\[5, -1\]/, /24/);
  assertThrowsMatching(() => x.reshape(-1, -1), /^reshape: /, /one dimension can be -1/);
  assertThrowsMatching(() => x.view(5, 5), /^view: /, /\[5, 5\]/);
  assertThrowsMatching(() => x.reshape(2.5, 2), /^reshape: /, /2\.5/);
});

test("zero-size dims: reshape, slice, narrow and expand keep them consistent", () => {
  const e = nb.zeros([0, 3]);
  assert.deepEqual(e.reshape(3, 0).shape, [3, 0]);
  assert.deepEqual(e.reshape(-1).shape, [0]);
  assertThrowsMatching(() => e.reshape(0, -1), /^reshape: /, /\[0, -1\]/); // -1 could be anything: torch refuses too
  assertThrowsMatching(() => e.reshape(-1, 0), /^reshape: /, /\[-1, 0\]/); // -1 is ambiguous here
  assert.deepEqual(e.transpose(0, 1).shape, [3, 0]);
  assert.deepEqual(e.unsqueeze(1).shape, [0, 1, 3]);
  const x = grid();
  assert.deepEqual(x.slice(0, 2, 1).shape, [0, 4]); // start past end: empty
  assert.deepEqual(x.slice(1, 10).shape, [3, 0]);
  assert.deepEqual(x.narrow(1, 4, 0).shape, [3, 0]);
  assert.deepEqual(nb.ones([1]).expand(0).shape, [0]);
  assert.equal(x.slice(0, 2, 1).numel(), 0);
  assert.deepEqual(Array.from(x.slice(0, 2, 1).dataSync()), []);
});

test("0-d tensors: unsqueeze, reshape, flatten and squeeze move between [] and [1]", () => {
  const s = nb.tensor(4);
  assert.deepEqual(s.unsqueeze(0).shape, [1]);
  assert.deepEqual(s.unsqueeze(-1).shape, [1]);
  assert.deepEqual(s.reshape(1, 1).shape, [1, 1]);
  assert.deepEqual(s.flatten().shape, [1]);
  assert.deepEqual(s.squeeze().shape, []);
  assert.deepEqual(s.squeeze(0).shape, []);
  assert.deepEqual(nb.ones([1, 1]).squeeze().shape, []);
  assert.deepEqual(nb.ones([1]).reshape([]).shape, []);
  assert.deepEqual(s.expand(2, 3).shape, [2, 3]);
  assert.deepEqual(s.transpose(0, -1).shape, []);
  assert.deepEqual(s.permute([]).shape, []);
  assertThrowsMatching(() => s.slice(0, 0, 1), /^slice: /, /0-d/);
  assertThrowsMatching(() => s.narrow(0, 0, 1), /^narrow: /, /0-d/);
  assertThrowsMatching(() => s.unsqueeze(2), /^unsqueeze: /, /dimension 2/);
  assertThrowsMatching(() => s.flatten(0, 1), /^flatten: /, /dimension 1/);
});

test("negative dims count from the end", () => {
  const x = nb.zeros([2, 3, 4]);
  assert.deepEqual(x.unsqueeze(-1).shape, [2, 3, 4, 1]);
  assert.deepEqual(x.unsqueeze(-4).shape, [1, 2, 3, 4]);
  assert.deepEqual(x.transpose(-1, -3).shape, [4, 3, 2]);
  assert.deepEqual(x.permute(-1, 0, -2).shape, [4, 2, 3]);
  assert.deepEqual(x.flatten(-2).shape, [2, 12]);
  assert.deepEqual(x.flatten(0, -2).shape, [6, 4]);
  assert.deepEqual(x.slice(-1, -2).shape, [2, 3, 2]);
  assert.deepEqual(x.narrow(-2, -2, 2).shape, [2, 2, 4]);
  assert.deepEqual(nb.zeros([2, 1, 3]).squeeze(-2).shape, [2, 3]);
  assert.deepEqual(nb.zeros([2, 1, 3]).squeeze(-1).shape, [2, 1, 3]); // not size 1: kept, as torch
});

test("out-of-range dims and bad arguments give errors naming the op and the dim", () => {
  const x = nb.zeros([2, 3, 4]);
  assertThrowsMatching(() => x.transpose(0, 3), /^transpose: /, /dimension 3/, /-3\.\.2/);
  assertThrowsMatching(() => x.permute(0, 1, 3), /^permute: /, /dimension 3/);
  assertThrowsMatching(() => x.permute(0, 1), /^permute: /, /permutation/, /\[2, 3, 4\]/);
  assertThrowsMatching(() => x.permute(0, 0, 1), /^permute: /, /permutation/);
  assertThrowsMatching(() => x.unsqueeze(4), /^unsqueeze: /, /dimension 4/, /-4\.\.3/);
  assertThrowsMatching(() => x.squeeze(-4), /^squeeze: /, /dimension -4/);
  assertThrowsMatching(() => x.flatten(3), /^flatten: /, /dimension 3/);
  assertThrowsMatching(() => x.flatten(2, 1), /^flatten: /, /startDim 2/, /endDim 1/);
  assertThrowsMatching(() => x.slice(3, 0, 1), /^slice: /, /dimension 3/);
  assertThrowsMatching(() => x.slice(0, 0, 2, 0), /^slice: /, /step/);
  assertThrowsMatching(() => x.slice(0, 0.5, 2), /^slice: /, /integers/);
  assertThrowsMatching(() => x.narrow(2, 3, 2), /^narrow: /, /start 3/, /length 2/, /size 4/);
  assertThrowsMatching(() => x.narrow(2, 0.5, 1), /^narrow: /);
  assertThrowsMatching(() => x.expand(2, 5, 4), /^expand: /, /dimension 1/, /\[2, 3, 4\]/);
  assertThrowsMatching(() => x.expand(3, 4), /^expand: /, /fewer dimensions/);
  assertThrowsMatching(() => x.expand(-2, 3, 4), /^expand: /, /-2/);
});

test("expand: -1 keeps a size, new leading dims broadcast, strides are 0", () => {
  const x = nb.tensor([[1], [2]]);
  const e = x.expand(3, -1, 4);
  assert.deepEqual(e.shape, [3, 2, 4]);
  assert.deepEqual(e.strides, [0, 1, 0]);
  assert.equal(e.storage, x.storage);
  assertClose(e.sum(0), [[3, 3, 3, 3], [6, 6, 6, 6]]);
  assertThrowsMatching(() => x.expand(-1, 2, 4), /^expand: /, /-1/);
});

test("gradients through views land on the right input elements", () => {
  // slice with a step: only the picked elements get gradient
  const a = nb.tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
  a.slice(0, 1, 6, 2).backward(nb.tensor([10, 20, 30]));
  assertClose(a.grad!, [0, 10, 0, 20, 0, 30]);
  // expand sums the gradient over the broadcast dims
  const b = nb.tensor([[1], [2]], { requiresGrad: true });
  b.expand(3, 2, 4).sum().backward();
  assertClose(b.grad!, [[12], [12]]);
  // transpose then reshape (a copy) routes each element back to its source
  const c = nb.zeros([2, 3], { requiresGrad: true });
  c.t().reshape(6).backward(nb.tensor([0, 1, 2, 3, 4, 5]));
  assertClose(c.grad!, [[0, 2, 4], [1, 3, 5]]);
  // a view used twice accumulates
  const d = nb.ones([3], { requiresGrad: true });
  const v = d.unsqueeze(0);
  v.add(v.narrow(1, 1, 2).sum()).sum().backward();
  assertClose(d.grad!, [1, 4, 4]);
});

test("gradients through chains of views match finite differences (float64)", () => {
  const x = randomInput([2, 3, 4], 5);
  const chains: [string, (t: nb.Tensor) => nb.Tensor][] = [
    ["permute-reshape", (t) => t.permute(2, 0, 1).reshape(4, 6)],
    ["transpose-slice-step", (t) => t.transpose(0, 2).slice(0, 0, 4, 3)],
    ["narrow-expand", (t) => t.narrow(1, 1, 1).expand(2, 5, 4)],
    ["flatten-unsqueeze-squeeze", (t) => t.flatten(1).unsqueeze(0).squeeze(0)],
    ["view-t", (t) => t.view(6, 4).t()],
    ["slice-contiguous-view", (t) => t.slice(2, 1, 4, 2).contiguous().view(-1)],
    ["non-contiguous math", (t) => t.transpose(0, 1).mul(t.transpose(0, 1).slice(2, 0, 1)).exp()],
  ];
  for (const [name, f] of chains) gradcheck(f, [x], { name });
});

test("views keep their storage alive after the base is disposed", () => {
  const base = grid();
  const v = base.slice(1, 1, 3);
  base.dispose();
  assertClose(v, [[1, 2], [5, 6], [9, 10]]);
  assertThrowsMatching(() => base.reshape(12), /^reshape: /, /disposed/);
});
