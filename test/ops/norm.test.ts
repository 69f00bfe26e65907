import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

interface Stored { shape: number[]; data: number[] }
type Rec = Record<string, Stored>;
const fx = JSON.parse(readFileSync(new URL("../fixtures/norm.json", import.meta.url), "utf8")) as {
  batchNorm: (Rec & { momentum: number; eps: number })[];
  layerNorm: (Rec & { normalizedShape: number[] })[];
  groupNorm: (Rec & { numGroups: number; eps: number })[];
  instanceNorm: (Rec & { momentum: number })[];
  localResponseNorm: (Rec & { size: number; alpha: number; beta: number; k: number })[];
};

type DT = "float32" | "float64";
const load = (s: Stored, dtype: DT = "float64", requiresGrad = false): nb.Tensor =>
  nb.tensor(Float64Array.from(s.data), { shape: s.shape, dtype, requiresGrad });
const close = (t: nb.Tensor, s: Stored, dtype: DT, msg: string): void => {
  assert.deepEqual(t.shape, s.shape, `${msg} shape`);
  const tol = dtype === "float64" ? { rtol: 1e-9, atol: 1e-11 } : { rtol: 2e-4, atol: 2e-5 };
  assertClose(t, Float64Array.from(s.data), { ...tol, msg });
};

// ---------------------------------------------------------------------------------------------
// batchNorm

for (const dtype of ["float64", "float32"] as const) {
  test(`batchNorm matches torch over two training steps, then eval (${dtype})`, () => {
    for (const c of fx.batchNorm) {
      const tag = `[${c.shape}] ${dtype}`;
      const rm = load(c.runningMean, dtype), rv = load(c.runningVar, dtype);
      const w = load(c.weight, dtype, true), b = load(c.bias, dtype, true);
      const opts = { training: true, momentum: c.momentum, eps: c.eps };

      // Step 1: output, gradients of x, weight and bias, running statistics.
      const x1 = load(c.x1, dtype, true);
      const v0 = rm.storage.version;
      const y1 = nb.batchNorm(x1, rm, rv, w, b, opts);
      close(y1, c.y1, dtype, `${tag} y1`);
      assert.ok(rm.storage.version > v0, "the running mean's version is bumped by the in-place update");
      close(rm, c.runningMean1, dtype, `${tag} running mean after step 1`);
      close(rv, c.runningVar1, dtype, `${tag} running var after step 1 (unbiased)`);
      assert.equal(rm.requiresGrad, false);
      y1.backward(load(c.gy1, dtype));
      close(x1.grad!, c.gx1, dtype, `${tag} grad x`);
      close(w.grad!, c.gw1, dtype, `${tag} grad weight`);
      close(b.grad!, c.gb1, dtype, `${tag} grad bias`);

      // Step 2 accumulates into the same running statistics.
      const y2 = nb.batchNorm(load(c.x2, dtype), rm, rv, w.detach(), b.detach(), opts);
      close(y2, c.y2, dtype, `${tag} y2`);
      close(rm, c.runningMean2, dtype, `${tag} running mean after step 2`);
      close(rv, c.runningVar2, dtype, `${tag} running var after step 2`);

      // Eval: normalised by the running statistics, which stay unchanged; gradients flow.
      const w3 = load(c.weight, dtype, true), b3 = load(c.bias, dtype, true), x3 = load(c.x3, dtype, true);
      const y3 = nb.batchNorm(x3, rm, rv, w3, b3, { eps: c.eps });
      close(y3, c.y3, dtype, `${tag} eval output`);
      close(rm, c.runningMean2, dtype, `${tag} eval leaves the running mean`);
      y3.backward(load(c.gy3, dtype));
      close(x3.grad!, c.gx3, dtype, `${tag} eval grad x`);
      close(w3.grad!, c.gw3, dtype, `${tag} eval grad weight`);
      close(b3.grad!, c.gb3, dtype, `${tag} eval grad bias`);
      // The kernel path (no gradient wanted) gives the same eval output.
      const y3k = nb.noGrad(() => nb.batchNorm(load(c.x3, dtype), rm, rv, w3, b3, { eps: c.eps }));
      close(y3k, c.y3, dtype, `${tag} eval output without grad`);

      // No running statistics and no affine parameters: batch statistics, even in eval.
      const xn = load(c.x1, dtype, true);
      const yn = nb.batchNorm(xn, null, null, null, null, { eps: c.eps });
      close(yn, c.yNoStats, dtype, `${tag} without running stats`);
      yn.backward(load(c.gyNoStats, dtype));
      close(xn.grad!, c.gxNoStats, dtype, `${tag} without running stats, grad x`);
    }
  });
}

test("batchNorm works on non-contiguous input and running stats of another dtype", () => {
  const c = fx.batchNorm[2]; // [3, 2, 3, 4]
  const x = load(c.x1).permute(0, 1, 3, 2); // strided view
  const ref = nb.batchNorm(x.contiguous(), null, null, null, null, { training: true });
  assertClose(nb.batchNorm(x, null, null, null, null, { training: true }), ref, { rtol: 1e-12 });
  const rm = nb.zeros([2]), rv = nb.ones([2]); // float32 statistics, float64 input
  const y = nb.batchNorm(x, rm, rv, null, null, { training: true });
  assert.equal(y.dtype, "float64");
  assert.equal(rm.dtype, "float32");
  const mean = x.mean([0, 2, 3]);
  assertClose(rm, mean.mul(0.1), { rtol: 1e-6 });
});

test("batchNorm gradients (training and eval) match finite differences", () => {
  for (const shape of [[4, 3], [3, 2, 5], [2, 3, 2, 3], [2, 2, 2, 2, 2]]) {
    const C = shape[1];
    const x = randomInput(shape, 1), w = randomInput([C], 2), b = randomInput([C], 3);
    gradcheck((t, wt, bt) => nb.batchNorm(t, null, null, wt, bt, { training: true }), [x, w, b], { name: `batchNorm train [${shape}]` });
    gradcheck((t) => nb.batchNorm(t, null, null, null, null, { training: true, eps: 0.1 }), [x], { name: `batchNorm train no affine [${shape}]` });
    const rm = randomInput([C], 4), rv = randomInput([C], 5, { positive: true });
    gradcheck((t, wt, bt) => nb.batchNorm(t, rm, rv, wt, bt), [x, w, b], { name: `batchNorm eval [${shape}]` });
  }
});

test("batchNorm errors: one value per channel, wrong channel counts, bad options", () => {
  const rm = nb.zeros([3]), rv = nb.ones([3]);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([1, 3]), rm, rv, null, null, { training: true }),
    /^batchNorm: Expected more than 1 value per channel when training, got input size \[1, 3\]/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([1, 3, 1, 1]), null, null, null, null, { training: true }), /more than 1 value per channel/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3]), nb.zeros([4]), rv), /^batchNorm: runningMean should contain 3 elements/, /\[4\]/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3]), rm, rv, nb.ones([2])), /^batchNorm: weight should contain 3 elements/, /\[2\]/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3]), rm, rv, null, nb.ones([5])), /^batchNorm: bias should contain 3 elements/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([3]), rm, rv), /^batchNorm:/, /at least 2 dimensions/, /\[3\]/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3]), rm, null), /^batchNorm: runningMean and runningVar must both be/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3], { dtype: "int32" }), rm, rv), /^batchNorm:/, /floating-point/);
  assertThrowsMatching(() => nb.batchNorm(nb.zeros([2, 3]), rm, rv, null, null, { eps: -1 }), /^batchNorm: eps must be/);
  // An empty batch gives an empty result and leaves the statistics alone, as torch.
  const y = nb.batchNorm(nb.zeros([0, 3]), rm, rv, null, null, { training: true });
  assert.deepEqual(y.shape, [0, 3]);
  assertClose(rv, [1, 1, 1]);
});

// ---------------------------------------------------------------------------------------------
// layerNorm, groupNorm, instanceNorm

for (const dtype of ["float64", "float32"] as const) {
  test(`layerNorm, groupNorm and instanceNorm match torch (${dtype})`, () => {
    for (const c of fx.layerNorm) {
      const x = load(c.x, dtype, true);
      const w = c.weight ? load(c.weight, dtype, true) : null, b = c.bias ? load(c.bias, dtype, true) : null;
      const y = nb.layerNorm(x, c.normalizedShape, w, b);
      const tag = `layerNorm [${c.x.shape}] over [${c.normalizedShape}]`;
      close(y, c.y, dtype, tag);
      y.backward(load(c.gy, dtype));
      close(x.grad!, c.gx, dtype, `${tag} grad x`);
      if (w) close(w.grad!, c.gw, dtype, `${tag} grad weight`);
      if (b) close(b.grad!, c.gb, dtype, `${tag} grad bias`);
    }
    for (const c of fx.groupNorm) {
      const x = load(c.x, dtype, true), w = load(c.weight, dtype, true), b = load(c.bias, dtype, true);
      const y = nb.groupNorm(x, c.numGroups, w, b, c.eps);
      const tag = `groupNorm [${c.x.shape}] groups ${c.numGroups}`;
      close(y, c.y, dtype, tag);
      y.backward(load(c.gy, dtype));
      close(x.grad!, c.gx, dtype, `${tag} grad x`);
      close(w.grad!, c.gw, dtype, `${tag} grad weight`);
      close(b.grad!, c.gb, dtype, `${tag} grad bias`);
    }
    for (const c of fx.instanceNorm) {
      const x = load(c.x, dtype, true), w = load(c.weight, dtype, true), b = load(c.bias, dtype, true);
      const rm = load(c.runningMean, dtype), rv = load(c.runningVar, dtype);
      const y = nb.instanceNorm(x, { runningMean: rm, runningVar: rv, weight: w, bias: b, momentum: c.momentum });
      const tag = `instanceNorm [${c.x.shape}]`;
      close(y, c.y, dtype, tag);
      close(rm, c.runningMean1, dtype, `${tag} running mean`);
      close(rv, c.runningVar1, dtype, `${tag} running var`);
      y.backward(load(c.gy, dtype));
      close(x.grad!, c.gx, dtype, `${tag} grad x`);
      close(w.grad!, c.gw, dtype, `${tag} grad weight`);
      close(b.grad!, c.gb, dtype, `${tag} grad bias`);
      const yEval = nb.instanceNorm(load(c.xEval, dtype), { runningMean: rm, runningVar: rv, weight: w, bias: b, useInputStats: false });
      close(yEval, c.yEval, dtype, `${tag} with running statistics`);
    }
  });
}

test("layerNorm, groupNorm and instanceNorm gradients match finite differences", () => {
  const x = randomInput([2, 4, 3], 21);
  gradcheck((t, w, b) => nb.layerNorm(t, 3, w, b), [x, randomInput([3], 22), randomInput([3], 23)], { name: "layerNorm last dim" });
  gradcheck((t, w, b) => nb.layerNorm(t, [4, 3], w, b), [x, randomInput([4, 3], 24), randomInput([4, 3], 25)], { name: "layerNorm two dims" });
  gradcheck((t) => nb.layerNorm(t, [3], null, null, 0.5), [x], { name: "layerNorm no affine" });
  gradcheck((t, w) => nb.layerNorm(t.transpose(0, 1), [2, 3], w), [x, randomInput([2, 3], 26)], { name: "layerNorm strided, weight only" });
  const xg = randomInput([2, 6, 2, 2], 27);
  gradcheck((t, w, b) => nb.groupNorm(t, 3, w, b), [xg, randomInput([6], 28), randomInput([6], 29)], { name: "groupNorm 3 groups" });
  gradcheck((t, b) => nb.groupNorm(t, 2, null, b), [randomInput([3, 4], 30), randomInput([4], 31)], { name: "groupNorm 2-d, bias only" });
  gradcheck((t, w, b) => nb.instanceNorm(t, { weight: w, bias: b }), [randomInput([2, 3, 4], 32), randomInput([3], 33), randomInput([3], 34)], { name: "instanceNorm" });
  const rm = randomInput([3], 35), rv = randomInput([3], 36, { positive: true });
  gradcheck((t, w, b) => nb.instanceNorm(t, { runningMean: rm, runningVar: rv, weight: w, bias: b, useInputStats: false }),
    [randomInput([2, 3, 4], 37), randomInput([3], 38), randomInput([3], 39)], { name: "instanceNorm with running stats" });
});

test("layerNorm normalises each row to mean 0 and variance 1", () => {
  const x = nb.randn([6, 50], { generator: new nb.Generator(9) }).mul(3).add(7);
  const y = nb.layerNorm(x, [50]);
  assertClose(y.mean(1), nb.zeros([6]), { atol: 1e-5 });
  assertClose(y.var(1, false, { correction: 0 }), nb.ones([6]), { rtol: 1e-4 });
  // groupNorm with one channel per group equals instanceNorm; with one group, layerNorm over [C, ...].
  const z = nb.randn([2, 3, 4], { generator: new nb.Generator(10) });
  assertClose(nb.groupNorm(z, 3), nb.instanceNorm(z), { rtol: 1e-5, atol: 1e-6 });
  assertClose(nb.groupNorm(z, 1), nb.layerNorm(z, [3, 4]), { rtol: 1e-5, atol: 1e-6 });
});

test("layerNorm, groupNorm and instanceNorm errors name the op and the shapes", () => {
  assertThrowsMatching(() => nb.layerNorm(nb.zeros([2, 3]), [4]), /^layerNorm: given normalizedShape \[4\], expected input with shape \[\*, 4\], but got input of shape \[2, 3\]/);
  assertThrowsMatching(() => nb.layerNorm(nb.zeros([2, 3]), [2, 3, 1]), /^layerNorm:/, /\[2, 3\]/);
  assertThrowsMatching(() => nb.layerNorm(nb.zeros([2, 3]), []), /^layerNorm: normalizedShape must be a non-empty list/);
  assertThrowsMatching(() => nb.layerNorm(nb.zeros([2, 3]), [3], nb.ones([4])), /^layerNorm: expected weight to have the shape of normalizedShape \[3\], got \[4\]/);
  assertThrowsMatching(() => nb.layerNorm(nb.zeros([2, 3]), [3], null, nb.ones([1, 3])), /^layerNorm: expected bias/);
  assertThrowsMatching(() => nb.groupNorm(nb.zeros([2, 3, 4]), 2), /^groupNorm:/, /divisible by numGroups/, /\[2, 3, 4\]/, /numGroups=2/);
  assertThrowsMatching(() => nb.groupNorm(nb.zeros([2, 4, 4]), 0), /^groupNorm: numGroups must be a positive integer, got 0/);
  assertThrowsMatching(() => nb.groupNorm(nb.zeros([2, 4, 3]), 2, nb.ones([3])), /^groupNorm: weight should contain 4 elements/);
  assertThrowsMatching(() => nb.groupNorm(nb.zeros([4]), 2), /^groupNorm:/, /at least 2 dimensions/);
  assertThrowsMatching(() => nb.instanceNorm(nb.zeros([2, 3, 1])), /^instanceNorm: Expected more than 1 spatial element when training, got input size \[2, 3, 1\]/);
  assertThrowsMatching(() => nb.instanceNorm(nb.zeros([2, 3, 4]), { useInputStats: false }), /^instanceNorm: expected runningMean and runningVar/);
  assertThrowsMatching(() => nb.instanceNorm(nb.zeros([2, 3, 4]), { runningMean: nb.zeros([4]), runningVar: nb.ones([4]) }), /^instanceNorm: runningMean should contain 3 elements/);
  // Empty inputs give empty outputs.
  assert.deepEqual(nb.layerNorm(nb.zeros([0, 3]), [3]).shape, [0, 3]);
  assert.deepEqual(nb.groupNorm(nb.zeros([0, 4, 2]), 2).shape, [0, 4, 2]);
});

// ---------------------------------------------------------------------------------------------
// localResponseNorm

for (const dtype of ["float64", "float32"] as const) {
  test(`localResponseNorm matches torch, odd and even windows (${dtype})`, () => {
    for (const c of fx.localResponseNorm) {
      const x = load(c.x, dtype, true);
      const y = nb.localResponseNorm(x, c.size, { alpha: c.alpha, beta: c.beta, k: c.k });
      const tag = `localResponseNorm [${c.x.shape}] size ${c.size}`;
      close(y, c.y, dtype, tag);
      y.backward(load(c.gy, dtype));
      close(x.grad!, c.gx, dtype, `${tag} grad x`);
    }
  });
}

test("localResponseNorm by hand: b_c = a_c (k + alpha/n Σ a²)^-beta over a zero-padded window", () => {
  // Channels 1, 2, 3 at one position, size 3 (one neighbour each side), alpha 3 so alpha/n = 1.
  const x = nb.tensor([[[1], [2], [3]]]);
  const y = nb.localResponseNorm(x, 3, { alpha: 3, beta: 1, k: 1 });
  assertClose(y, [[[1 / (1 + 1 + 4)], [2 / (1 + 1 + 4 + 9)], [3 / (1 + 4 + 9)]]], { rtol: 1e-6 });
});

test("localResponseNorm gradients match finite differences; errors", () => {
  gradcheck((t) => nb.localResponseNorm(t, 3, { alpha: 0.5, beta: 0.75, k: 1 }), [randomInput([2, 5, 3], 41)], { name: "LRN size 3" });
  gradcheck((t) => nb.localResponseNorm(t, 4, { alpha: 0.3, beta: 0.6, k: 2 }), [randomInput([1, 5, 2, 2], 42)], { name: "LRN size 4" });
  gradcheck((t) => nb.localResponseNorm(t.transpose(2, 3), 2, { alpha: 1, beta: 1, k: 1 }), [randomInput([1, 3, 2, 3], 43)], { name: "LRN strided" });
  assertThrowsMatching(() => nb.localResponseNorm(nb.zeros([2, 3]), 2), /^localResponseNorm: expected 3D or higher dimensionality input/, /got 2 dimensions/);
  assertThrowsMatching(() => nb.localResponseNorm(nb.zeros([2, 3, 4]), 0), /^localResponseNorm: size must be a positive integer, got 0/);
  assertThrowsMatching(() => nb.localResponseNorm(nb.zeros([2, 3, 4]), 2, { beta: NaN }), /^localResponseNorm: beta must be a finite number/);
});

test("the normalisation kernels accept strided views (spatial dims that do not merge, 2-d and 4-d)", () => {
  const base = randomInput([2, 3, 4, 5], 51);
  const x = base.permute(0, 1, 3, 2); // [2, 3, 5, 4]: spatial strides (1, 5) cannot merge
  const xc = x.contiguous();
  const k = x.backend;
  const vec = (): nb.Tensor => nb.zeros([3], { dtype: "float64" });
  const [m1, v1, m2, v2] = [vec(), vec(), vec(), vec()];
  k.channelMoments(x.raw(), m1.raw(), v1.raw());
  k.channelMoments(xc.raw(), m2.raw(), v2.raw());
  assertClose(m1, m2, { rtol: 1e-12 });
  assertClose(v1, v2, { rtol: 1e-12 });
  assertClose(m1, xc.mean([0, 2, 3]), { rtol: 1e-12 });
  const w = randomInput([3], 52), b = randomInput([3], 53), gy = randomInput([2, 3, 5, 4], 54);
  // Outputs written through a transposed view land in the right places.
  const outT = nb.zeros([2, 3, 4, 5], { dtype: "float64" }), out = nb.zeros([2, 3, 5, 4], { dtype: "float64" });
  k.batchNormApply(x.raw(), m1.raw(), v1.raw(), w.raw(), b.raw(), outT.permute(0, 1, 3, 2).raw());
  k.batchNormApply(xc.raw(), m1.raw(), v1.raw(), w.raw(), b.raw(), out.raw());
  assertClose(outT.permute(0, 1, 3, 2), out, { rtol: 1e-12 });
  const gxT = nb.zeros([2, 3, 4, 5], { dtype: "float64" }), gx = nb.zeros([2, 3, 5, 4], { dtype: "float64" });
  const [gw1, gb1, gw2, gb2] = [vec(), vec(), vec(), vec()];
  k.batchNormBackward(gy.transpose(2, 3).contiguous().transpose(2, 3).raw(), x.raw(), m1.raw(), v1.raw(), w.raw(), gxT.permute(0, 1, 3, 2).raw(), gw1.raw(), gb1.raw());
  k.batchNormBackward(gy.raw(), xc.raw(), m1.raw(), v1.raw(), w.raw(), gx.raw(), gw2.raw(), gb2.raw());
  assertClose(gxT.permute(0, 1, 3, 2), gx, { rtol: 1e-12 });
  assertClose(gw1, gw2, { rtol: 1e-12 });
  assertClose(gb1, gb2, { rtol: 1e-12 });
  // moments on a transposed 2-d view and on a non-dense 3-d view.
  const t2 = randomInput([6, 4], 55).t(); // [4, 6] strided
  const [mA, rA, mB, rB] = [nb.zeros([4], { dtype: "float64" }), nb.zeros([4], { dtype: "float64" }), nb.zeros([4], { dtype: "float64" }), nb.zeros([4], { dtype: "float64" })];
  k.moments(t2.raw(), 4, 6, 1e-5, mA.raw(), rA.raw());
  k.moments(t2.contiguous().raw(), 4, 6, 1e-5, mB.raw(), rB.raw());
  assertClose(mA, mB, { rtol: 1e-12 });
  assertClose(rA, rB, { rtol: 1e-12 });
  assertClose(rB, t2.var(1, false, { correction: 0 }).add(1e-5).rsqrt(), { rtol: 1e-12 });
  const t3 = base.permute(1, 0, 2, 3); // [3, 2, 4, 5] viewed as 3 rows of 40
  const [mC, rC] = [vec(), vec()];
  k.moments(t3.raw(), 3, 40, 0, mC.raw(), rC.raw());
  assertClose(mC, m2, { rtol: 1e-12 });
  assertClose(rC, v2.rsqrt(), { rtol: 1e-12 });
});
