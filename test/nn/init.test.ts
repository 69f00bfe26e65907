// nb.nn.init: gains and fans as torch computes them, and the statistics of each initialiser
// (bounds exactly, standard deviations within 3% on 32k draws, where the sampling error is ~0.4%).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const init = nb.nn.init;

function stats(t: nb.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0, min = Infinity, max = -Infinity;
  for (const x of v) {
    s += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (v.length - 1)), min, max };
}

const near = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: got ${got}, expected ${want} within ${rel * 100}%`);

test("calculateGain gives torch's values", () => {
  for (const n of ["linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose2d"]) assert.equal(init.calculateGain(n), 1);
  assert.equal(init.calculateGain("tanh"), 5 / 3);
  assert.equal(init.calculateGain("relu"), Math.SQRT2);
  assert.equal(init.calculateGain("leaky_relu"), Math.sqrt(2 / (1 + 0.01 ** 2)));
  assert.equal(init.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / 1.04));
  assert.equal(init.calculateGain("leaky_relu", Math.sqrt(5)), Math.sqrt(1 / 3)); // torch's Linear/Conv default
  assert.equal(init.calculateGain("selu"), 0.75);
  assertThrowsMatching(() => init.calculateGain("swish"), /calculateGain: unsupported nonlinearity "swish"/);
});

test("calculateFanInAndFanOut counts the receptive field for conv weights", () => {
  assert.deepEqual(init.calculateFanInAndFanOut(nb.zeros([16, 8, 3, 3])), { fanIn: 72, fanOut: 144 });
  assert.deepEqual(init.calculateFanInAndFanOut(nb.zeros([10, 400])), { fanIn: 400, fanOut: 10 });
  assert.deepEqual(init.calculateFanInAndFanOut(nb.zeros([4, 2, 3, 3, 3])), { fanIn: 54, fanOut: 108 });
  assertThrowsMatching(() => init.calculateFanInAndFanOut(nb.zeros([5])), /fewer than 2 dimensions, got shape \[5\]/);
});

test("kaimingUniform: U(-b, b) with b = gain·√(3/fan)", () => {
  const w = nb.zeros([256, 128]);
  const bound = Math.SQRT2 * Math.sqrt(3 / 128);
  assert.equal(init.kaimingUniform(w), w);
  const s = stats(w);
  assert.ok(s.min >= -bound && s.max <= bound, `values within ±${bound}`);
  assert.ok(s.max > 0.99 * bound && s.min < -0.99 * bound, "the range is filled");
  near(s.std, bound / Math.sqrt(3), 0.03, "std");
  assert.ok(Math.abs(s.mean) < 0.01 * bound * 3);
  // fanOut mode with a conv weight: fan = 16·3·3.
  const c = init.kaimingUniform(nb.zeros([16, 64, 3, 3]), { mode: "fanOut", nonlinearity: "relu" });
  const cb = Math.SQRT2 * Math.sqrt(3 / 144);
  const cs = stats(c);
  assert.ok(cs.min >= -cb && cs.max <= cb && cs.max > 0.99 * cb);
});

test("kaimingNormal: N(0, gain²/fan)", () => {
  const w = init.kaimingNormal(nb.zeros([128, 64, 2, 2]), { mode: "fanOut", nonlinearity: "relu" });
  const s = stats(w);
  near(s.std, Math.sqrt(2 / (128 * 4)), 0.03, "std");
  assert.ok(Math.abs(s.mean) < 0.05 * s.std);
  const l = stats(init.kaimingNormal(nb.zeros([200, 160]), { a: 0.2 }));
  near(l.std, Math.sqrt(2 / 1.04) / Math.sqrt(160), 0.03, "leaky_relu std");
});

test("xavierUniform and xavierNormal use fanIn + fanOut", () => {
  const u = stats(init.xavierUniform(nb.zeros([64, 32, 3, 3])));
  const bound = Math.sqrt(6 / (288 + 576));
  assert.ok(u.min >= -bound && u.max <= bound && u.max > 0.99 * bound);
  near(u.std, bound / Math.sqrt(3), 0.03, "uniform std");
  const n = stats(init.xavierNormal(nb.zeros([300, 200]), 2));
  near(n.std, 2 * Math.sqrt(2 / 500), 0.03, "normal std");
});

test("uniform, normal, truncNormal, constant, zeros, ones, eye", () => {
  const u = stats(init.uniform(nb.zeros([20000]), -3, 5));
  assert.ok(u.min >= -3 && u.max < 5);
  // A mean's sampling error is std/√n (0.016 here): allow four of them.
  assert.ok(Math.abs(u.mean - 1) < 4 * (8 / Math.sqrt(12)) / Math.sqrt(20000), `uniform mean ${u.mean}`);
  near(u.std, 8 / Math.sqrt(12), 0.03, "uniform std");
  const n = stats(init.normal(nb.zeros([20000]), 2, 0.5));
  assert.ok(Math.abs(n.mean - 2) < 4 * 0.5 / Math.sqrt(20000), `normal mean ${n.mean}`);
  near(n.std, 0.5, 0.03, "normal std");
  const t = stats(init.truncNormal(nb.zeros([20000]), 0, 1, -2, 2));
  assert.ok(t.min >= -2 && t.max <= 2 && t.max > 1.95 && t.min < -1.95);
  near(t.std, 0.8796, 0.03, "truncated std"); // std of N(0,1) truncated to [-2, 2]
  const shifted = stats(init.truncNormal(nb.zeros([5000]), 10, 2, 9, 12));
  assert.ok(shifted.min >= 9 && shifted.max <= 12);
  assertClose(init.constant(nb.zeros([3]), 0.3), [0.3, 0.3, 0.3]);
  assertClose(init.ones(nb.zeros([2])), [1, 1]);
  assertClose(init.zeros(nb.ones([2])), [0, 0]);
  assertClose(init.eye(nb.zeros([2, 3])), [[1, 0, 0], [0, 1, 0]]);
  const d = init.normal(nb.zeros([4], { dtype: "float64" }));
  assert.equal(d.dtype, "float64");
});

test("initialisers write in place: a Parameter keeps its identity and stays a leaf without gradient history", () => {
  const p = new nb.nn.Parameter(nb.zeros([8, 4]));
  const r = init.kaimingUniform(p);
  assert.equal(r, p);
  assert.ok(p.isLeaf && p.requiresGrad && p.grad === null);
  assert.ok(stats(p).max > 0);
  // Works while recording is on (the write itself is never recorded).
  assert.ok(nb.isGradEnabled());
});

test("draws come from the global generator (nb.manualSeed) or the one given", () => {
  nb.manualSeed(42);
  const a = init.normal(nb.zeros([50])).dataSync();
  nb.manualSeed(42);
  const b = init.normal(nb.zeros([50])).dataSync();
  assert.deepEqual(a, b);
  const g1 = new nb.Generator(5), g2 = new nb.Generator(5);
  assert.deepEqual(init.uniform(nb.zeros([10]), 0, 1, { generator: g1 }).dataSync(), init.uniform(nb.zeros([10]), 0, 1, { generator: g2 }).dataSync());
  // Seeded layers are reproducible.
  nb.manualSeed(9);
  const l1 = new nb.nn.Linear(6, 3);
  nb.manualSeed(9);
  const l2 = new nb.nn.Linear(6, 3);
  assertClose(l1.weight, l2.weight);
});

test("layers' default initialisation is torch's: weights and biases in U(-1/√fanIn, 1/√fanIn)", () => {
  nb.manualSeed(0);
  const lin = new nb.nn.Linear(200, 300);
  const b = 1 / Math.sqrt(200);
  const ws = stats(lin.weight);
  assert.ok(ws.min >= -b && ws.max <= b && ws.max > 0.99 * b);
  near(ws.std, b / Math.sqrt(3), 0.03, "Linear weight std");
  const bs = stats(lin.bias!);
  assert.ok(bs.min >= -b && bs.max <= b && bs.max > 0.9 * b);
  const conv = new nb.nn.Conv2d(16, 64, 5, { groups: 2 });
  const cb = 1 / Math.sqrt(8 * 25); // fanIn counts the input channels of one group
  const cw = stats(conv.weight);
  assert.ok(cw.min >= -cb && cw.max <= cb && cw.max > 0.99 * cb);
  near(cw.std, cb / Math.sqrt(3), 0.03, "Conv2d weight std");
  const cbs = stats(conv.bias!);
  assert.ok(cbs.min >= -cb && cbs.max <= cb);
  // Normalisation layers start as the identity transform.
  const bn = new nb.nn.BatchNorm2d(3);
  assertClose(bn.weight!, [1, 1, 1]);
  assertClose(bn.bias!, [0, 0, 0]);
  assertClose(bn.running_var!, [1, 1, 1]);
  assertClose(new nb.nn.PReLU().weight, [0.25]);
});

test("bad arguments are named", () => {
  assertThrowsMatching(() => init.uniform(nb.zeros([2], { dtype: "int32" })), /init\.uniform: expected a floating-point tensor/);
  assertThrowsMatching(() => init.kaimingUniform(nb.zeros([3])), /fewer than 2 dimensions/);
  assertThrowsMatching(() => init.kaimingNormal(nb.zeros([3, 3]), { mode: "fanMiddle" as "fanIn" }), /init\.kaimingNormal: mode must be "fanIn" or "fanOut"/);
  assertThrowsMatching(() => init.uniform(nb.zeros([2]), 1, 0), /init\.uniform: a must not exceed b/);
  assertThrowsMatching(() => init.normal(nb.zeros([2]), 0, -1), /init\.normal: std must be non-negative/);
  assertThrowsMatching(() => init.eye(nb.zeros([2, 2, 2])), /init\.eye: only 2-D tensors/);
  assertThrowsMatching(() => init.truncNormal(nb.zeros([2]), 0, 1, 2, -2), /init\.truncNormal: need a < b/);
});
