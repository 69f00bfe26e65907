// The PyTorch spellings users reach for on a Tensor (issue 14, item 9): dtype shortcuts, tolist,
// viewAs/reshapeAs, and reductions that take torch's positional (dim, keepdim) or an options object.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

test(".float() .double() .int() .long() .bool() convert as torch's do", () => {
  const labels = nb.tensor([0, 2, 1], { dtype: "int32" });
  const f = labels.float();
  assert.equal(f.dtype, "float32");
  assert.deepEqual(f.tolist(), [0, 2, 1]);
  assert.equal(f.float(), f, "already float32: the same tensor, as torch");
  assert.equal(nb.tensor([1.5]).double().dtype, "float64");
  // Float to integer truncates toward zero, as torch's .int() / .long().
  const x = nb.tensor([1.7, -1.7, 0.2]);
  assert.deepEqual(x.int().tolist(), [1, -1, 0]);
  assert.equal(x.int().dtype, "int32");
  assert.equal(x.long().dtype, "int32", "long maps to int32: nabla has no int64");
  assert.deepEqual(x.long().tolist(), [1, -1, 0]);
  assert.deepEqual(nb.tensor([0, 3, -1]).bool().tolist(), [false, true, true]);
  assert.equal(nb.tensor([0, 1]).bool().dtype, "bool");
});

test(".float() keeps the gradient flowing, as a dtype conversion in torch does", () => {
  const w = nb.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
  w.float().mul(2).sum().backward();
  assert.deepEqual(Array.from(w.grad!.dataSync()), [2, 2, 2]);
});

test(".tolist() is toArray(): nested arrays, a number for a 0-d tensor", () => {
  const t = nb.tensor([[1, 2], [3, 4]]);
  assert.deepEqual(t.tolist(), [[1, 2], [3, 4]]);
  assert.deepEqual(t.tolist(), t.toArray());
  assert.equal(nb.tensor(5).tolist(), 5);
});

test(".viewAs(other) and .reshapeAs(other) take other's shape", () => {
  const a = nb.arange(0, 6), b = nb.zeros([2, 3]);
  const v = a.viewAs(b);
  assert.deepEqual(v.shape, [2, 3]);
  assert.deepEqual(v.tolist(), [[0, 1, 2], [3, 4, 5]]);
  // A view shares storage: writing through it changes a.
  v.fill_(7);
  assert.deepEqual(a.tolist(), [7, 7, 7, 7, 7, 7]);
  // reshapeAs copies when no view is possible (a transposed tensor), as torch.
  const t = nb.arange(0, 6).reshape(2, 3).transpose(0, 1);
  assert.throws(() => t.viewAs(nb.zeros([6])));
  assert.deepEqual(t.reshapeAs(nb.zeros([6])).tolist(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(nb.viewAs(a, b).shape, [2, 3]);
  assert.deepEqual(nb.reshapeAs(a, nb.zeros([3, 2])).shape, [3, 2]);
  assert.throws(() => a.viewAs([2, 3] as never), /viewAs: other must be a Tensor/);
});

test("argmax/argmin take (dim, keepdim) or { dim, keepdim }", () => {
  const logits = nb.tensor([[0.1, 2, 0.3], [5, 0, 1]]);
  assert.deepEqual(logits.argmax(1).tolist(), [1, 0]);
  assert.deepEqual(logits.argmax({ dim: 1 }).tolist(), [1, 0]);
  assert.deepEqual(logits.argmax({ dim: 1, keepdim: true }).shape, [2, 1]);
  assert.deepEqual(logits.argmax(1, true).shape, [2, 1]);
  assert.deepEqual(logits.argmin({ dim: 0 }).tolist(), [0, 1, 0]);
  assert.deepEqual(nb.argmax(logits, { dim: -1 }).tolist(), [1, 0]);
  assert.equal(logits.argmax({}).item(), 3, "no dim: over the flattened tensor");
  assert.equal(logits.argmax().item(), 3);
  assert.throws(() => logits.argmax({ axis: 1 } as never), /argmax: unknown option "axis" \(use dim\)/);
  assert.throws(() => logits.argmax({ dim: 1, keepDim: true } as never), /argmax: unknown option "keepDim" \(use keepdim\)/);
  assert.throws(() => logits.argmax({ dim: [0, 1] } as never), /argmax: dim must be one dimension/);
});

test("sum, mean, max, min, prod, var, std, logsumexp, all, any take the options form too", () => {
  const x = nb.tensor([[1, 2, 3], [4, 5, 6]]);
  const same = (a: nb.Tensor, b: nb.Tensor) => {
    assert.deepEqual(a.shape, b.shape);
    assert.deepEqual(a.tolist(), b.tolist());
  };
  same(x.sum({ dim: 1 }), x.sum(1));
  same(x.sum({ dim: 1, keepdim: true }), x.sum(1, true));
  same(x.sum({ dim: [0, 1] }), x.sum([0, 1]));
  same(x.sum({}), x.sum());
  same(x.mean({ dim: 0, keepdim: true }), x.mean(0, true));
  same(x.max({ dim: 1 }), x.max(1));
  same(x.min({ dim: 0, keepdim: true }), x.min(0, true));
  same(x.prod({ dim: 1 }), x.prod(1));
  same(x.var({ dim: 1 }), x.var(1));
  same(x.var({ dim: 1, correction: 0 }), x.var(1, false, { correction: 0 }));
  same(x.std({ dim: 0, keepdim: true, unbiased: false }), x.std(0, true, { unbiased: false }));
  same(x.logsumexp({ dim: 1 }), x.logsumexp(1));
  same(x.gt(2).all({ dim: 1 }), x.gt(2).all(1));
  same(x.gt(2).any({ dim: 0, keepdim: true }), x.gt(2).any(0, true));
  same(nb.sum(x, { dim: -1 }), nb.sum(x, -1));
  same(nb.var(x, { dim: 1 }), nb.var(x, 1));
  // The options object's keepdim wins; the positional form is unchanged.
  assert.deepEqual(x.sum(0).shape, [3]);
  assert.throws(() => x.sum({ dims: 1 } as never), /sum: unknown option "dims" \(did you mean "dim"\?\)/);
  assert.throws(() => x.mean({ dim: 0, keepdim: "yes" } as never), /mean: keepdim must be true or false/);
});
