// LeNet-5 in the 1998 paper's form: its parameter count (60,000 trainable below the output layer),
// the C3 connection table, trainable subsampling, the scaled tanh and the RBF output units.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const M = nb.models;
const count = (ps: nb.Tensor[]): number => ps.reduce((a, p) => a + p.numel(), 0);

test("lenet5({ variant: '1998' }): 60,000 trainable parameters below the output, layer by layer as the paper counts them", () => {
  const m = M.lenet5({ variant: "1998" });
  assert.ok(m instanceof M.LeNet5Original);
  const perLayer = [m.c1, m.s2, m.c3, m.s4, m.c5, m.f6].map((l) => count(l.parameters()));
  assert.deepEqual(perLayer, [156, 12, 1516, 32, 48_120, 10_164]);
  assert.equal(perLayer.reduce((a, b) => a + b), 60_000);
  // RBF output: 84 × 10 fixed ±1 codes, not trained.
  assert.equal(m.output.weight.requiresGrad, false);
  assert.deepEqual([...new Set(m.output.weight.dataSync())].sort(), [-1, 1]);
  const s = nb.summary(m, [1, 32, 32], { print: false });
  assert.deepEqual([s.totalParams, s.trainableParams, s.nonTrainableParams], [60_840, 60_000, 840]);
  // A trainable linear output instead: 850 more trainable parameters.
  const linear = M.lenet5({ variant: "1998", output: "linear" });
  assert.equal(count(linear.parameters().filter((p) => p.requiresGrad)), 60_850);
  // The modern form is unchanged.
  assert.equal(count(M.lenet5().parameters()), 61_706);
  assert.throws(() => M.lenet5({ variant: "1989" as "1998" }), /^RangeError: lenet5: variant must be "modern" or "1998", got "1989"$/);
});

test("C3's table is the paper's Table I: 6 maps on 3 contiguous inputs, 6 on 4 contiguous, 3 on 4 non-contiguous, 1 on all six", () => {
  const t = M.LENET5_C3_TABLE;
  assert.equal(t.flat().length, 60);
  for (let j = 0; j < 6; j++) assert.deepEqual([...t[j]].sort(), [j, (j + 1) % 6, (j + 2) % 6].sort());
  for (let j = 6; j < 12; j++) assert.deepEqual([...t[j]].sort(), [0, 1, 2, 3].map((d) => (j - 6 + d) % 6).sort());
  assert.deepEqual(t.slice(12), [[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]]);
});

/** The connection-table convolution as a dense convolution whose missing connections are zero. */
function denseEquivalent(c: nb.models.ConnectionTableConv2d, table: readonly (readonly number[])[]): nb.Tensor {
  const k = c.kernelSize;
  const w = c.weight.detach().dataSync();
  const dense = new Float32Array(table.length * c.inChannels * k * k);
  let row = 0;
  table.forEach((ins, j) => ins.forEach((i) => {
    dense.set(w.subarray(row * k * k, (row + 1) * k * k), (j * c.inChannels + i) * k * k);
    row++;
  }));
  return nb.tensor(dense, { shape: [table.length, c.inChannels, k, k] });
}

for (const [name, table] of [
  ["LeNet-5's C3 table", M.LENET5_C3_TABLE],
  ["a table whose degree groups interleave", [[0, 1], [2], [0, 1, 2], [1], [2, 0]]],
] as const) {
  test(`ConnectionTableConv2d equals a dense convolution with the missing connections zeroed, values and gradients (${name})`, () => {
    nb.manualSeed(4);
    const inChannels = Math.max(...table.flat()) + 1;
    const c = new M.ConnectionTableConv2d(inChannels, table, 3);
    nb.noGrad(() => {
      c.weight.copy_(nb.randn(c.weight.shape));
      c.bias.copy_(nb.randn(c.bias.shape));
    });
    const x = nb.randn([2, inChannels, 6, 5]);
    const dense = denseEquivalent(c, table);
    dense.requiresGrad = true;
    const bias = c.bias.detach().clone();
    const y = c.forward(x);
    const ref = nb.nn.functional.conv2d(x, dense, bias);
    assertClose(y, ref, { rtol: 1e-5, atol: 1e-5 });
    const proj = nb.randn(y.shape);
    y.mul(proj).sum().backward();
    ref.mul(proj).sum().backward();
    // The gradient of each stored kernel is the dense gradient at its connection.
    const dg = dense.grad!.dataSync(), k2 = 9;
    const expected: number[] = [];
    table.forEach((ins, j) => ins.forEach((i) => expected.push(...dg.subarray((j * inChannels + i) * k2, (j * inChannels + i + 1) * k2))));
    assertClose(c.weight.grad!.reshape([-1]), expected, { rtol: 1e-4, atol: 1e-5 });
    assert.throws(() => new M.ConnectionTableConv2d(3, [[0, 3]], 5), /^RangeError: ConnectionTableConv2d: output map 0 must see distinct input maps in \[0, 3\), got \[0, 3\]$/);
  });
}

test("trainable subsampling: (sum of each 2x2 window) × coefficient + bias, per map", () => {
  const s = new M.TrainableSubsampling(2);
  nb.noGrad(() => {
    s.weight.copy_(nb.tensor([2, -1]));
    s.bias.copy_(nb.tensor([0.5, 0]));
  });
  const x = nb.arange(0, 32).reshape([1, 2, 4, 4]);
  // Map 0 windows: 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50; map 1 adds 16·4 = 64 to each.
  assertClose(s.forward(x), [[[[20.5, 36.5], [84.5, 100.5]], [[-74, -82], [-106, -114]]]]);
});

test("the squashing function 1.7159·tanh(2a/3): f(0) = 0, f(±1) = ±1 (to 1e-4), odd", () => {
  const f = new M.ScaledTanh();
  assertClose(f.forward(nb.tensor([0, 1, -1, 3])), [0, 1, -1, 1.7159 * Math.tanh(2)], { atol: 1e-4 });
});

test("RBF output: −Σⱼ (xⱼ − wᵢⱼ)², by hand", () => {
  const rbf = new M.RBFOutput(3, 2);
  nb.noGrad(() => rbf.weight.copy_(nb.tensor([[1, 1, -1], [-1, 1, 1]])));
  const x = nb.tensor([[1, 0, 0], [0.5, 1, 1]]);
  assertClose(rbf.forward(x), [[-(0 + 1 + 1), -(4 + 1 + 1)], [-(0.25 + 0 + 4), -(2.25 + 0 + 0)]]);
});

test("initialisation: every weight and bias from U(−2.4/Fᵢ, 2.4/Fᵢ) with the unit's fan-in", () => {
  nb.manualSeed(9);
  const m = M.lenet5Original();
  const maxAbs = (t: nb.Tensor) => t.abs().max().item();
  assert.ok(maxAbs(m.c1.weight) <= 2.4 / 25 && maxAbs(m.c1.weight) > 0.8 * 2.4 / 25);
  assert.ok(maxAbs(m.c5.weight) <= 2.4 / 400 && maxAbs(m.f6.weight) <= 2.4 / 120);
  assert.ok(maxAbs(m.s2.weight) <= 0.6 && maxAbs(m.s4.bias) <= 0.6);
  // C3: the map on all six inputs has fan-in 150, the first six maps 75.
  assert.ok(maxAbs(m.c3.weight.narrow(0, 54, 6)) <= 2.4 / 150);
  assert.ok(maxAbs(m.c3.weight.narrow(0, 0, 18)) > 2.4 / 150);
});

test("forward: 32x32 inputs, or 28x28 zero-padded to 32x32; other sizes are refused; one SGD step lowers the loss", () => {
  nb.manualSeed(2);
  const m = M.lenet5({ variant: "1998" });
  const x28 = nb.rand([2, 1, 28, 28]);
  const y = m.forward(x28);
  assert.deepEqual(y.shape, [2, 10]);
  assertClose(nb.noGrad(() => m.forward(nb.nn.functional.pad(x28, [2, 2, 2, 2]))), nb.noGrad(() => m.forward(x28)), { rtol: 1e-6 });
  assertThrowsMatching(() => m.forward(nb.rand([2, 1, 30, 30])), /^LeNet5Original: expected input \[N, 1, 32, 32\] \(or 28x28, padded to 32x32 as the paper does\), got shape \[2, 1, 30, 30\]$/);
  const target = nb.tensor([3, 8], { dtype: "int32" });
  const opt = new nb.optim.SGD(m.parameters().filter((p) => p.requiresGrad), { lr: 0.01 });
  const before = nb.nn.functional.crossEntropy(m.forward(x28), target);
  before.backward();
  opt.step();
  const after = nb.noGrad(() => nb.nn.functional.crossEntropy(m.forward(x28), target));
  assert.ok(after.item() < before.item(), `loss ${before.item()} → ${after.item()}`);
  assert.equal(m.output.weight.grad, null);
});
