import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

test("broadcast add and mul follow NumPy rules", () => {
  const a = nb.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = nb.tensor([10, 20, 30]);
  assertClose(a.add(b), [[11, 22, 33], [14, 25, 36]]);
  assertClose(a.mul(nb.tensor([[2], [3]])), [[2, 4, 6], [12, 15, 18]]);
  assertClose(a.sub(1, { alpha: 2 }), [[-1, 0, 1], [2, 3, 4]]);
});

test("binary ops of mismatched shapes name the op and both shapes", () => {
  assertThrowsMatching(() => nb.tensor([[1, 2]]).add(nb.tensor([1, 2, 3])), /^add:/, /\[1, 2\]/, /\[3\]/);
});

test("dtype promotion follows torch: int + float scalar is float, int / int is float", () => {
  const i = nb.tensor([1, 2, 3], { dtype: "int32" });
  assert.equal(i.add(1).dtype, "int32");
  assert.equal(i.add(0.5).dtype, "float32");
  assert.equal(i.div(2).dtype, "float32");
  assertClose(i.div(2), [0.5, 1, 1.5]);
  assert.equal(i.lt(2).dtype, "bool");
});

test("gradients of binary ops match finite differences, with broadcasting", () => {
  const a = randomInput([2, 3], 1), b = randomInput([3], 2);
  gradcheck((x, y) => x.add(y), [a, b], { name: "add" });
  gradcheck((x, y) => x.sub(y), [a, b], { name: "sub" });
  gradcheck((x, y) => x.mul(y), [a, b], { name: "mul" });
  gradcheck((x, y) => x.div(y), [a, randomInput([3], 3, { positive: true })], { name: "div" });
  gradcheck((x, y) => x.pow(y), [randomInput([2, 3], 4, { positive: true }), b], { name: "pow" });
  gradcheck((x, y) => nb.maximum(x, y), [a, b], { name: "maximum" });
  gradcheck((x, y) => nb.minimum(x, y), [a, b], { name: "minimum" });
});

test("gradients of unary ops match finite differences", () => {
  const x = randomInput([3, 4], 7);
  const pos = randomInput([3, 4], 8, { positive: true });
  const cases: [string, (t: nb.Tensor) => nb.Tensor, nb.Tensor][] = [
    ["neg", (t) => t.neg(), x], ["abs", (t) => t.abs(), x], ["exp", (t) => t.exp(), x], ["log", (t) => t.log(), pos],
    ["sqrt", (t) => t.sqrt(), pos], ["rsqrt", (t) => t.rsqrt(), pos], ["square", (t) => t.square(), x], ["sin", (t) => t.sin(), x],
    ["cos", (t) => t.cos(), x], ["tanh", (t) => t.tanh(), x], ["sigmoid", (t) => t.sigmoid(), x], ["relu", (t) => t.relu(), x],
    ["pow3", (t) => t.pow(3), x], ["clamp", (t) => t.clamp(-0.5, 0.5), x], ["gelu", (t) => nb.gelu(t), x],
    ["geluTanh", (t) => nb.gelu(t, { approximate: "tanh" }), x], ["elu", (t) => nb.elu(t, 0.7), x], ["selu", (t) => nb.selu(t), x],
    ["leakyRelu", (t) => nb.leakyRelu(t, 0.1), x], ["softplus", (t) => nb.softplus(t), x], ["softsign", (t) => nb.softsign(t), x],
    ["atan", (t) => t.atan(), x], ["erf", (t) => t.erf(), x], ["log1p", (t) => t.log1p(), pos], ["expm1", (t) => t.expm1(), x],
    ["reciprocal", (t) => t.reciprocal(), pos], ["hardtanh", (t) => nb.hardtanh(t), x],
  ];
  for (const [name, f, input] of cases) gradcheck(f, [input], { name });
});

test("where picks elementwise and routes gradients", () => {
  const c = nb.tensor([true, false, true]);
  assertClose(nb.where(c, nb.tensor([1, 2, 3]), 0), [1, 0, 3]);
  gradcheck((a, b) => nb.where(c, a, b), [randomInput([3], 1), randomInput([2, 3], 2)]);
});

test("in-place ops refuse to run on tensors that require grad while recording", () => {
  const w = nb.ones([2], { requiresGrad: true });
  assertThrowsMatching(() => w.add_(1), /add_/, /noGrad/);
  nb.noGrad(() => w.sub_(nb.tensor([0.5, 0.25])));
  assertClose(w, [0.5, 0.75]);
});
