import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

type Num = number | "NaN" | "Infinity" | "-Infinity";
interface Case {
  name: string; op: "softmax" | "logSoftmax"; dim: number; transpose: boolean;
  shape: number[]; x: Num[]; y: Num[]; gy: Num[]; gx: Num[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/softmax.json", import.meta.url), "utf8")) as { cases: Case[] };
/** Flat values (a typed array, so assertClose compares elements without reshaping). */
const dec = (v: Num[]): Float64Array => Float64Array.from(v, Number);

function run(c: Case, dtype: "float32" | "float64"): { y: nb.Tensor; x: nb.Tensor } {
  const x = nb.tensor(dec(c.x), { shape: c.shape, dtype });
  x.requiresGrad = true;
  const input = c.transpose ? x.transpose(-2, -1) : x;
  const y = c.op === "softmax" ? nb.softmax(input, c.dim) : input.logSoftmax(c.dim);
  y.backward(nb.tensor(dec(c.gy), { shape: y.shape, dtype }));
  return { y, x };
}

test("softmax and logSoftmax match torch in float64, values and gradients", () => {
  for (const c of fixture.cases) {
    const { y, x } = run(c, "float64");
    assert.deepEqual(y.shape, c.transpose ? [...c.shape.slice(0, -2), c.shape.at(-1)!, c.shape.at(-2)!] : c.shape);
    assertClose(y, dec(c.y), { rtol: 1e-12, atol: 1e-14, msg: `${c.name} output` });
    assertClose(x.grad!, dec(c.gx), { rtol: 1e-10, atol: 1e-12, msg: `${c.name} grad` });
  }
});

test("softmax and logSoftmax match torch in float32 (rtol 1e-5)", () => {
  for (const c of fixture.cases) {
    const { y, x } = run(c, "float32");
    assert.equal(y.dtype, "float32");
    assertClose(y, dec(c.y), { rtol: 1e-5, atol: 1e-6, msg: `${c.name} output` });
    assertClose(x.grad!, dec(c.gx), { rtol: 1e-4, atol: 1e-5, msg: `${c.name} grad` });
  }
});

test("softmax is stable for large inputs and sums to one", () => {
  const x = nb.tensor([[1000, 1001, 1002], [-1000, -1001, -1002]]);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0] + e[1] + e[2];
  assertClose(x.softmax(1), [[e[0] / s, e[1] / s, e[2] / s], [e[2] / s, e[1] / s, e[0] / s]], { rtol: 1e-6 });
  assertClose(x.logSoftmax(1), [[-2 - Math.log(s), -1 - Math.log(s), -Math.log(s)], [-Math.log(s), -1 - Math.log(s), -2 - Math.log(s)]], { rtol: 1e-6 });
  // Every row of a random wide tensor sums to 1 (float32), whichever dim.
  const r = nb.randn([4, 7, 5], { generator: new nb.Generator(3) }).mul(30);
  for (const d of [0, 1, 2]) assertClose(r.softmax(d).sum(d), nb.ones(r.shape.filter((_, i) => i !== d)), { rtol: 1e-5 });
});

test("-inf entries get probability 0, a row of -inf gives NaN like torch", () => {
  const x = nb.tensor([[0, -Infinity], [-Infinity, -Infinity]]);
  assertClose(x.softmax(1), [[1, 0], [NaN, NaN]]);
  assertClose(x.logSoftmax(1), [[0, -Infinity], [NaN, NaN]]);
});

test("size-0 dims give empty results; a 0-d tensor's softmax is 1", () => {
  assert.deepEqual(nb.zeros([0, 3]).softmax(1).shape, [0, 3]);
  assert.deepEqual(nb.zeros([3, 0]).logSoftmax(1).shape, [3, 0]);
  const e = nb.zeros([3, 0], { requiresGrad: true });
  e.softmax(0).sum().backward();
  assert.deepEqual(e.grad!.shape, [3, 0]);
  assertClose(nb.tensor(3).softmax(0), 1);
  assertClose(nb.tensor(3).logSoftmax(-1), 0);
});

test("softmax on non-contiguous and broadcast (stride-0) views", () => {
  const base = randomInput([3, 4], 5);
  const t = base.transpose(0, 1); // [4, 3], strides [1, 4]
  assertClose(t.softmax(1), t.contiguous().softmax(1), { rtol: 1e-12 });
  assertClose(t.logSoftmax(0), t.contiguous().logSoftmax(0), { rtol: 1e-12 });
  const row = nb.tensor([[1, 2, 3]], { dtype: "float64" }).expand(2, 3);
  assertClose(row.softmax(1), row.contiguous().softmax(1), { rtol: 1e-12 });
  assertClose(row.softmax(0), [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
});

test("softmax over a leading dim of a large tensor (past the exponential cache) matches the row-wise path", () => {
  const x = nb.randn([3, (1 << 14) * 2 + 7], { generator: new nb.Generator(8) }).mul(4);
  const byRows = x.t().contiguous().softmax(1).t();
  assertClose(x.softmax(0), byRows, { rtol: 1e-6, atol: 1e-7 });
  assertClose(x.logSoftmax(0), x.t().contiguous().logSoftmax(1).t(), { rtol: 1e-6, atol: 1e-6 });
});

test("gradients of softmax and logSoftmax match finite differences", () => {
  const x = randomInput([3, 4, 5], 11);
  for (const d of [0, 1, 2, -1]) {
    gradcheck((t) => t.softmax(d), [x], { name: `softmax dim ${d}` });
    gradcheck((t) => t.logSoftmax(d), [x], { name: `logSoftmax dim ${d}` });
  }
  gradcheck((t) => t.transpose(0, 2).softmax(1), [x], { name: "softmax of a transposed view" });
  gradcheck((t) => nb.logSoftmax(t.mul(50), 1), [randomInput([2, 6], 12)], { name: "logSoftmax, large logits" });
});

test("softmax errors name the op and the problem", () => {
  assertThrowsMatching(() => nb.softmax(nb.zeros([2, 3]), 2), /^softmax:/, /dimension 2 is out of range/);
  assertThrowsMatching(() => nb.logSoftmax(nb.zeros([2, 3]), -3), /^logSoftmax:/, /out of range/);
  assertThrowsMatching(() => nb.softmax(nb.tensor([1, 2], { dtype: "int32" }), 0), /^softmax:/, /floating-point/, /int32/);
  assertThrowsMatching(() => (nb.softmax as (x: nb.Tensor) => nb.Tensor)(nb.zeros([2])), /^softmax: dim is required/);
  assertThrowsMatching(() => nb.softmax([1, 2] as unknown as nb.Tensor, 0), /^softmax:/, /must be a Tensor/);
});
