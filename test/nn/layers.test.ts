// Layer values against PyTorch (test/fixtures/nn_layers.json, from scripts/fixtures/nn_layers.py):
// each case's torch state dict is loaded with loadStateDict (which also proves the key names are
// torch's), then forward and backward are compared. Plus hand-worked checks (Maxout, RReLU,
// Dropout, BinaryStep) and the layers' input and hyper-parameter errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

const nn = nb.nn;

interface Case {
  state: Record<string, Enc>;
  train: boolean;
  input: Enc;
  output: Enc;
  gradOutput: Enc;
  inputGrad: Enc;
  paramGrads: Record<string, Enc>;
  stateAfter?: Record<string, Enc>;
}
interface Step {
  train: boolean;
  input: Enc;
  output: Enc;
  gradOutput: Enc;
  inputGrad: Enc;
  stateAfter: Record<string, Enc>;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/nn_layers.json", import.meta.url), "utf8")) as {
  cases: Record<string, Case>;
  bnSteps: { state: Record<string, Enc>; steps: Step[] };
  bnCumulative: { steps: { input: Enc; stateAfter: Record<string, Enc> }[] };
  cnn: Case & { numParameters: number };
};

function decode(e: Enc): nb.Tensor {
  return decodeFixture(e);
}
const decodeState = (s: Record<string, Enc>): Map<string, nb.Tensor> => new Map(Object.entries(s).map(([k, v]) => [k, decode(v)]));

const TOL = { rtol: 1e-4, atol: 2e-5 };

function assertState(m: nb.nn.Module, expected: Record<string, Enc>, msg: string): void {
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()].sort(), Object.keys(expected).sort(), `${msg}: state-dict keys`);
  for (const [k, e] of Object.entries(expected)) assertClose(sd.get(k)!, decode(e), { ...TOL, msg: `${msg}: ${k}` });
}

/** Load the case's torch state, run forward and backward, compare everything torch recorded. */
function checkCase(name: string, m: nb.nn.Module, c: Case): void {
  m.loadStateDict(decodeState(c.state));
  m.train(c.train);
  const x = decode(c.input).requiresGrad_();
  const y = m.forward(x) as nb.Tensor;
  assertClose(y, decode(c.output), { ...TOL, msg: `${name} output` });
  y.mul(decode(c.gradOutput)).sum().backward();
  assertClose(x.grad!, decode(c.inputGrad), { ...TOL, msg: `${name} input gradient` });
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.paramGrads)) {
    assert.ok(params.get(k)?.grad, `${name}: parameter ${k} has a gradient`);
    assertClose(params.get(k)!.grad!, decode(g), { ...TOL, msg: `${name} gradient of ${k}` });
  }
  if (c.stateAfter) assertState(m, c.stateAfter, `${name} state after forward`);
}

// The nabla layer for each fixture case, built as the Python script built torch's.
const LAYERS: Record<string, () => nb.nn.Module> = {
  conv1d: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }),
  conv2d_same_dilated: () => new nn.Conv2d(3, 4, 3, { padding: "same", dilation: 2 }),
  conv2d_groups_strided: () => new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], groups: 2 }),
  conv2d_reflect: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect" }),
  conv2d_same_replicate_even: () => new nn.Conv2d(2, 3, [2, 3], { padding: "same", paddingMode: "replicate" }),
  conv2d_circular: () => new nn.Conv2d(2, 2, 3, { padding: [1, 2], paddingMode: "circular", bias: false }),
  conv2d_unbatched_valid: () => new nn.Conv2d(2, 3, 3, { padding: "valid" }),
  conv3d: () => new nn.Conv3d(2, 3, [2, 3, 3], { stride: [1, 2, 1], padding: [0, 1, 1] }),
  linear: () => new nn.Linear(5, 3),
  linear_nobias_3d: () => new nn.Linear(5, 3, { bias: false }),
  flatten: () => new nn.Flatten(),
  unflatten: () => new nn.Unflatten(1, [2, 3]),

  maxpool2d: () => new nn.MaxPool2d(2),
  maxpool2d_ceil_padded: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  maxpool1d_dilated: () => new nn.MaxPool1d(3, { stride: 2, dilation: 2 }),
  maxpool3d: () => new nn.MaxPool3d(2),
  minpool2d: () => new nn.MinPool2d(2, { stride: 1 }),
  avgpool2d_exclude_pad: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
  avgpool1d: () => new nn.AvgPool1d(2),
  avgpool3d: () => new nn.AvgPool3d(2, { stride: 1 }),
  lppool2d: () => new nn.LPPool2d(2, 2),
  lppool1d: () => new nn.LPPool1d(3, 2, { stride: 1 }),
  adaptiveavgpool2d: () => new nn.AdaptiveAvgPool2d([3, 2]),
  adaptiveavgpool1d: () => new nn.AdaptiveAvgPool1d(3),
  adaptiveavgpool3d: () => new nn.AdaptiveAvgPool3d(2),
  adaptivemaxpool2d: () => new nn.AdaptiveMaxPool2d(3),
  adaptivemaxpool1d: () => new nn.AdaptiveMaxPool1d(4),
  globalavgpool2d: () => new nn.GlobalAvgPool2d(),

  batchnorm1d_2d_train: () => new nn.BatchNorm1d(4),
  batchnorm1d_3d_train: () => new nn.BatchNorm1d(3),
  batchnorm2d_eval: () => new nn.BatchNorm2d(3),
  batchnorm2d_noaffine_train: () => new nn.BatchNorm2d(3, { affine: false }),
  batchnorm2d_untracked_eval: () => new nn.BatchNorm2d(2, { trackRunningStats: false }),
  batchnorm3d_train: () => new nn.BatchNorm3d(2, { momentum: 0.3 }),
  layernorm: () => new nn.LayerNorm([4, 5]),
  layernorm_noaffine: () => new nn.LayerNorm(6, { elementwiseAffine: false }),
  groupnorm: () => new nn.GroupNorm(2, 6),
  instancenorm2d_affine: () => new nn.InstanceNorm2d(3, { affine: true }),
  instancenorm1d_tracked_train: () => new nn.InstanceNorm1d(3, { trackRunningStats: true }),
  instancenorm2d_tracked_eval: () => new nn.InstanceNorm2d(2, { trackRunningStats: true }),
  instancenorm2d_unbatched: () => new nn.InstanceNorm2d(3),
  localresponsenorm: () => new nn.LocalResponseNorm(3, { alpha: 0.5, beta: 0.75, k: 2 }),

  relu: () => new nn.ReLU(),
  leakyrelu: () => new nn.LeakyReLU(0.2),
  prelu: () => new nn.PReLU(),
  prelu_channels: () => new nn.PReLU(3),
  rrelu_eval: () => new nn.RReLU(0.1, 0.3),
  elu: () => new nn.ELU(0.5),
  selu: () => new nn.SELU(),
  gelu: () => new nn.GELU(),
  gelu_tanh: () => new nn.GELU({ approximate: "tanh" }),
  sigmoid: () => new nn.Sigmoid(),
  tanh: () => new nn.Tanh(),
  softplus: () => new nn.Softplus(),
  softplus_beta: () => new nn.Softplus({ beta: 2, threshold: 5 }),
  softsign: () => new nn.Softsign(),
  atan: () => new nn.Atan(),
  hardtanh: () => new nn.Hardtanh(-0.5, 2),
  softmax: () => new nn.Softmax(1),
  logsoftmax: () => new nn.LogSoftmax(-1),
  identity: () => new nn.Identity(),
  dropout_eval: () => new nn.Dropout(0.5),
};

test("every fixture case has a nabla layer, and every layer a case", () => {
  assert.deepEqual(Object.keys(LAYERS).sort(), Object.keys(fixture.cases).sort());
});

for (const [name, make] of Object.entries(LAYERS)) {
  test(`${name}: loads torch's state dict, output and gradients match torch`, () => {
    checkCase(name, make(), fixture.cases[name]);
  });
}

test("BatchNorm2d over two training steps then eval: outputs, gradients and running stats equal torch's", () => {
  const bn = new nn.BatchNorm2d(3);
  bn.loadStateDict(decodeState(fixture.bnSteps.state));
  fixture.bnSteps.steps.forEach((s, i) => {
    bn.train(s.train);
    const x = decode(s.input).requiresGrad_();
    const y = bn.forward(x);
    assertClose(y, decode(s.output), { ...TOL, msg: `step ${i} output` });
    y.mul(decode(s.gradOutput)).sum().backward();
    assertClose(x.grad!, decode(s.inputGrad), { ...TOL, msg: `step ${i} input gradient` });
    assertState(bn, s.stateAfter, `step ${i}`);
  });
  assert.equal(bn.num_batches_tracked!.dtype, "int32");
  assert.equal(bn.numBatchesTracked!.item(), 2); // the eval step does not count
  assert.equal(bn.runningMean, bn.running_mean);
});

test("BatchNorm2d with momentum null keeps the cumulative average of every batch, as torch", () => {
  const bn = new nn.BatchNorm2d(2, { momentum: null });
  for (const [i, s] of fixture.bnCumulative.steps.entries()) {
    bn.forward(decode(s.input));
    assertState(bn, s.stateAfter, `step ${i}`);
  }
  assert.equal(bn.num_batches_tracked!.item(), 3);
});

test("the course's typical CNN: 27,562 parameters, torch's keys, output and gradients", () => {
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(400, 64), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(64, 10),
  );
  const count = model.parameters().reduce((n, p) => n + p.numel(), 0);
  assert.equal(count, 27562);
  assert.equal(count, fixture.cnn.numParameters);
  assert.deepEqual([...model.stateDict().keys()], Object.keys(fixture.cnn.state));
  checkCase("cnn", model, fixture.cnn);
  // A fresh draw of the default init gives a different output; loading the state is what matched.
  assert.deepEqual(model.forward(nb.zeros([5, 1, 28, 28])).shape, [5, 10]);
});

// ---------------------------------------------------------------------------------------------
// hand-worked

test("Maxout: the max over each group of pieces, gradient only to the winning unit", () => {
  const m = new nn.Maxout(2, 2, 3);
  assert.deepEqual(m.weight.shape, [6, 2]);
  // Units 0..2 form output 0, units 3..5 output 1.
  m.loadStateDict({
    weight: nb.tensor([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [2, -1]]),
    bias: nb.tensor([0, 0, -5, 0, 0, 0]),
  });
  const x = nb.tensor([[3, -2], [-1, 4]], { requiresGrad: true });
  // Row 0: z = [3, -2, -4 | -3, 2, 8] → [3, 8]; row 1: z = [-1, 4, -2 | 1, -4, -6] → [4, 1].
  const y = m.forward(x);
  assertClose(y, [[3, 8], [4, 1]]);
  y.mul(nb.tensor([[1, 10], [100, 1000]])).sum().backward();
  // dy/dx is the winning unit's weight row times the upstream gradient.
  assertClose(x.grad!, [[1 * 1 + 10 * 2, 10 * -1], [1000 * -1, 100 * 1]]);
  // The weight gradient sits only on the winning rows (0 and 5 for row 0, 1 and 3 for row 1).
  assertClose(m.weight.grad!, [[3, -2], [-100, 400], [0, 0], [-1000, 4000], [0, 0], [30, -20]]);
  assertClose(m.bias!.grad!, [1, 100, 0, 1000, 0, 10]);
  assertThrowsMatching(() => m.forward(nb.zeros([4, 3])), /Maxout: expected input with 2 features \(last dim\), got 3 in shape \[4, 3\]/);
  assert.equal(String(m), "Maxout(inFeatures=2, outFeatures=2, pieces=3)");
});

test("RReLU in training draws one slope per negative element in [lower, upper], and its gradient uses it", () => {
  nb.manualSeed(7);
  const m = new nn.RReLU(0.1, 0.3);
  const xs = Float32Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? -1 - (i % 7) : 0.5 + (i % 5)));
  const x = nb.tensor(xs, { requiresGrad: true });
  const y = m.forward(x);
  y.sum().backward();
  const out = y.dataSync(), g = x.grad!.dataSync();
  const slopes = new Set<number>();
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > 0) {
      assert.equal(out[i], xs[i]);
      assert.equal(g[i], 1);
    } else {
      const slope = out[i] / xs[i];
      assert.ok(slope >= 0.1 - 1e-6 && slope <= 0.3 + 1e-6, `slope ${slope} outside [0.1, 0.3]`);
      assert.ok(Math.abs(g[i] - slope) < 1e-6, "the gradient is the drawn slope");
      slopes.add(Math.round(slope * 1e6));
    }
  }
  assert.ok(slopes.size > 150, "slopes differ per element");
  // Eval mode: the fixed mean slope (0.1 + 0.3) / 2.
  m.eval();
  assertClose(m.forward(nb.tensor([-2, 3])), [-0.4, 3]);
});

test("Dropout: identity in eval, inverted scaling in training, seeded by nb.manualSeed", () => {
  const m = new nn.Dropout(0.25);
  const x = nb.ones([4000]);
  m.eval();
  assert.equal(m.forward(x), x);
  m.train();
  nb.manualSeed(3);
  const a = m.forward(x).dataSync();
  nb.manualSeed(3);
  const b = m.forward(x).dataSync();
  assert.deepEqual(a, b);
  const zeros = a.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / a.length - 0.25) < 0.03, `dropped fraction ${zeros / a.length}`);
  for (const v of a) assert.ok(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6);
  // Dropout2d zeroes whole channels.
  const d2 = new nn.Dropout2d(0.5).forward(nb.ones([2, 8, 3, 3])).toArray() as number[][][][];
  for (const sample of d2) for (const ch of sample) assert.ok(new Set(ch.flat()).size === 1);
  assert.equal(new nn.AlphaDropout(0.2).eval().forward(x), x);
});

test("BinaryStep passes a zero gradient; Identity returns its input", () => {
  const x = nb.tensor([-1, 0, 2], { requiresGrad: true });
  const y = new nn.BinaryStep().forward(x);
  assertClose(y, [0, 0, 1]);
  y.sum().backward();
  assertClose(x.grad!, [0, 0, 0]);
  assert.equal(new nn.Identity().forward(x), x);
});

test("PReLU learns one slope per channel: its gradient is the sum of x over the negative inputs", () => {
  const m = new nn.PReLU(2, 0.1);
  assertClose(m.weight, [0.1, 0.1]);
  const x = nb.tensor([[[-1, 2], [3, -4]], [[-5, -6], [7, 8]]]); // [N=2, C=2, L=2]
  const y = m.forward(x);
  assertClose(y, [[[-0.1, 2], [3, -0.4]], [[-0.5, -0.6], [7, 8]]]);
  y.sum().backward();
  assertClose(m.weight.grad!, [-1 - 5 - 6, -4]);
});

// ---------------------------------------------------------------------------------------------
// errors

test("a layer given the wrong rank or channel count names itself by its dotted path, what it got and what it expected", () => {
  class Net extends nn.Module {
    features = new nn.Sequential(new nn.Conv2d(3, 8, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    norm = new nn.BatchNorm2d(8);
    head = new nn.Linear(72, 10);
    forward(x: nb.Tensor): nb.Tensor {
      return this.head.forward(this.norm.forward(this.features.forward(x)).flatten(1));
    }
  }
  const net = new Net();
  net.parameters(); // parents tell children their names when they list their modules
  assertThrowsMatching(() => net.forward(nb.zeros([1, 4, 8, 8])), /^Conv2d "features\.0": expected input with 3 channels \(dim 1\), got 4 in shape \[1, 4, 8, 8\]/);
  assertThrowsMatching(() => net.forward(nb.zeros([8, 8])), /Conv2d "features\.0": expected a 3D or 4D input \(\[N, C, H, W\] or unbatched \[C, H, W\]\), got shape \[8, 8\]/);
  assertThrowsMatching(() => net.forward(nb.zeros([2, 3, 2, 2])), /Conv2d "features\.0": input spatial size \[2, 2\].*smaller than the kernel \[3, 3\]/);
  assertThrowsMatching(() => net.head.forward(nb.zeros([2, 71])), /Linear "head": expected input with 72 features \(last dim\), got 71 in shape \[2, 71\]/);
  assertThrowsMatching(() => net.norm.forward(nb.zeros([2, 8])), /BatchNorm2d "norm": expected a 4D input \(\[N, C, H, W\]\), got shape \[2, 8\]/);
  assertThrowsMatching(() => net.features.at(2).forward(nb.zeros([1, 1, 1, 1])), /MaxPool2d "features\.2": .*too small/);
  assertThrowsMatching(() => new nn.BatchNorm1d(3).forward(nb.zeros([1, 3])), /BatchNorm1d: expected more than 1 value per channel/);
  assertThrowsMatching(() => new nn.LayerNorm([4, 5]).forward(nb.zeros([2, 5, 4])), /LayerNorm: expected input with trailing dims \[4, 5\].*got shape \[2, 5, 4\]/);
  assertThrowsMatching(() => new nn.GroupNorm(2, 4).forward(nb.zeros([2, 6, 3])), /GroupNorm: expected input with 4 channels \(dim 1\), got 6/);
  assertThrowsMatching(() => new nn.PReLU(3).forward(nb.zeros([2, 4])), /PReLU: expected input with 3 channels \(dim 1\), got 4/);
  assertThrowsMatching(() => new nn.Dropout2d().forward(nb.zeros([2, 3])), /Dropout2d: expected a 3D or 4D input/);
  assertThrowsMatching(() => new nn.Softmax(2).forward(nb.zeros([2, 3])), /Softmax: dim 2 is out of range for an input of shape \[2, 3\]/);
  assertThrowsMatching(() => new nn.ReLU().forward([1, 2] as unknown as nb.Tensor), /ReLU: expected a Tensor input, got an array/);
});

test("invalid hyper-parameters are rejected at construction, naming the parameter", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new nn.Dropout(1.5), /Dropout: p must be a probability in \[0, 1\], got 1\.5/],
    [() => new nn.Dropout2d(-0.1), /Dropout2d: p must be a probability/],
    [() => new nn.Linear(0.5, 3), /Linear: inFeatures must be a non-negative integer, got 0\.5/],
    [() => new nn.Conv2d(3, 8, 0), /Conv2d: kernelSize must be a positive integer or an array of 2/],
    [() => new nn.Conv2d(3, 8, 3, { groups: 2 }), /Conv2d: groups=2 must divide inChannels=3/],
    [() => new nn.Conv2d(4, 6, 3, { groups: 4 }), /Conv2d: groups=4 must divide outChannels=6/],
    [() => new nn.Conv2d(3, 8, 3, { padding: "same", stride: 2 }), /Conv2d: padding "same" is not supported for strided convolutions \(stride \[2, 2\]\); give the padding explicitly/],
    [() => new nn.Conv1d(3, 8, 3, { padding: -1 }), /Conv1d: padding must be a non-negative integer/],
    [() => new nn.Conv2d(3, 8, 3, { paddingMode: "mirror" as "reflect" }), /Conv2d: paddingMode must be one of "zeros", "reflect", "replicate", "circular"/],
    [() => new nn.MaxPool2d(2, { padding: 2 }), /MaxPool2d: padding 2 must be at most half of kernel size 2/],
    [() => new nn.AvgPool1d(-2), /AvgPool1d: kernelSize must be a positive integer/],
    [() => new nn.LPPool2d(0, 2), /LPPool2d: normType must be non-zero/],
    [() => new nn.AdaptiveAvgPool2d([2, 0]), /AdaptiveAvgPool2d: outputSize must be a positive integer/],
    [() => new nn.BatchNorm2d(0), /BatchNorm2d: numFeatures must be a positive integer, got 0/],
    [() => new nn.BatchNorm1d(4, { momentum: 2 }), /BatchNorm1d: momentum must be a number in \[0, 1\], got 2/],
    [() => new nn.BatchNorm1d(4, { eps: -1 }), /BatchNorm1d: eps must be a number >= 0, got -1/],
    [() => new nn.GroupNorm(4, 6), /GroupNorm: numGroups=4 must divide numChannels=6/],
    [() => new nn.LayerNorm([]), /LayerNorm: normalizedShape must be a positive integer or a non-empty array/],
    [() => new nn.LocalResponseNorm(0), /LocalResponseNorm: size must be a positive integer/],
    [() => new nn.PReLU(0), /PReLU: numParameters must be a positive integer, got 0/],
    [() => new nn.RReLU(0.5, 0.1), /RReLU: lower must not exceed upper/],
    [() => new nn.Hardtanh(1, -1), /Hardtanh: maxVal must be greater than minVal/],
    [() => new nn.Softplus({ beta: 0 }), /Softplus: beta must be a positive number, got 0/],
    [() => new nn.GELU({ approximate: "fast" as "tanh" }), /GELU: approximate must be one of "none", "tanh"/],
    [() => new nn.Maxout(4, 2, 0), /Maxout: pieces must be a positive integer, got 0/],
    [() => new nn.Unflatten(1, [2, -1, -1]), /Unflatten: unflattenedSize must be a non-empty array of sizes \(at most one -1\)/],
  ];
  for (const [fn, re] of cases) assertThrowsMatching(fn, re);
});

test("torch-like repr through extraRepr", () => {
  assert.equal(String(new nn.Linear(4, 2)), "Linear(inFeatures=4, outFeatures=2, bias=true)");
  assert.equal(String(new nn.Conv2d(1, 8, 3)), "Conv2d(1, 8, kernelSize=[3, 3], stride=[1, 1])");
  assert.equal(
    String(new nn.Conv2d(4, 8, [3, 1], { stride: 2, padding: [1, 0], groups: 2, bias: false, paddingMode: "reflect" })),
    'Conv2d(4, 8, kernelSize=[3, 1], stride=[2, 2], padding=[1, 0], groups=2, bias=false, paddingMode="reflect")',
  );
  assert.equal(String(new nn.MaxPool2d(2)), "MaxPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], ceilMode=false)");
  assert.equal(String(new nn.BatchNorm2d(16)), "BatchNorm2d(16, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)");
  assert.equal(String(new nn.LeakyReLU()), "LeakyReLU(negativeSlope=0.01)");
  assert.equal(String(new nn.Dropout()), "Dropout(p=0.5)");
  assert.equal(String(new nn.AdaptiveAvgPool2d([null, 7])), "AdaptiveAvgPool2d(outputSize=[null, 7])");
  assert.equal(String(new nn.LayerNorm(8)), "LayerNorm([8], eps=0.00001, elementwiseAffine=true)");
});

test("layers without their optional parameters leave them out of the state dict", () => {
  assert.deepEqual([...new nn.Linear(3, 2, { bias: false }).stateDict().keys()], ["weight"]);
  assert.deepEqual([...new nn.LayerNorm(4, { bias: false }).stateDict().keys()], ["weight"]);
  assert.deepEqual([...new nn.BatchNorm1d(4, { affine: false }).stateDict().keys()], ["running_mean", "running_var", "num_batches_tracked"]);
  assert.deepEqual([...new nn.BatchNorm1d(4, { trackRunningStats: false }).stateDict().keys()], ["weight", "bias"]);
  assert.deepEqual([...new nn.InstanceNorm2d(4).stateDict().keys()], []);
  assert.deepEqual([...new nn.Conv2d(2, 4, 3, { bias: false }).stateDict().keys()], ["weight"]);
  // LayerNorm without bias still scales.
  const ln = new nn.LayerNorm(2, { bias: false });
  ln.loadStateDict({ weight: nb.tensor([2, 3]) });
  assertClose(ln.forward(nb.tensor([[1, 3]])), [[-2, 3]], { atol: 1e-4 });
});

test("pooling layers return indices on request, and unbatched input keeps its rank", () => {
  const x = nb.tensor([[[5, 1, 3, 4], [8, 2, 9, 2], [1, 3, 0, 1], [2, 2, 2, 0]]]);
  const [v, idx] = new nn.MaxPool2d(2).forwardWithIndices(x);
  assertClose(v, [[[8, 9], [3, 2]]]);
  assert.deepEqual(idx.toArray(), [[[4, 6], [9, 14]]]);
  assertClose(new nn.MinPool2d(2).forward(x), [[[1, 2], [1, 0]]]);
  assertClose(new nn.GlobalAvgPool2d().forward(x), [[[45 / 16]]]);
  const [av, aidx] = new nn.AdaptiveMaxPool2d(1).forwardWithIndices(x);
  assertClose(av, [[[9]]]);
  assert.deepEqual(aidx.toArray(), [[[6]]]);
});

test("nn.functional gathers torch.nn.functional's names in camelCase", () => {
  const F = nb.nn.functional as unknown as Record<string, unknown>;
  const names = [
    "linear", "conv1d", "conv2d", "conv3d", "maxPool1d", "maxPool2d", "maxPool3d", "avgPool1d", "avgPool2d", "avgPool3d",
    "minPool2d", "lpPool1d", "lpPool2d", "adaptiveAvgPool1d", "adaptiveAvgPool2d", "adaptiveAvgPool3d", "adaptiveMaxPool1d",
    "adaptiveMaxPool2d", "globalAvgPool2d", "dropout", "dropout1d", "dropout2d", "dropout3d", "alphaDropout", "batchNorm",
    "layerNorm", "groupNorm", "instanceNorm", "localResponseNorm", "pad", "softmax", "logSoftmax", "relu", "leakyRelu", "elu",
    "selu", "gelu", "sigmoid", "tanh", "softplus", "softsign", "hardtanh", "prelu", "rrelu", "oneHot", "crossEntropy",
    "nllLoss", "mseLoss", "l1Loss", "huberLoss", "smoothL1Loss", "binaryCrossEntropy", "binaryCrossEntropyWithLogits",
  ];
  assert.deepEqual(names.filter((n) => typeof F[n] !== "function"), []);
  const f = nb.nn.functional;
  assertClose(f.softplus(nb.tensor([0, 10]), { beta: 2, threshold: 5 }), [Math.log(2) / 2, 10]);
  assertClose(f.prelu(nb.tensor([-2, 2]), nb.tensor([0.5])), [-1, 2]);
});

test("a few plain gradient steps on the typical CNN lower its loss (every layer's gradient points downhill)", () => {
  nb.manualSeed(11);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(400, 64), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(64, 10),
  );
  const x = nb.rand([16, 1, 28, 28]);
  const y = nb.randint(0, 10, [16]);
  const lossAt = () => nb.noGrad(() => nb.nn.functional.crossEntropy(model.eval().forward(x), y).item());
  const before = lossAt();
  for (let step = 0; step < 5; step++) {
    model.train().zeroGrad();
    nb.nn.functional.crossEntropy(model.forward(x), y).backward();
    nb.noGrad(() => model.parameters().forEach((p) => p.sub_(p.grad!.mul(0.05))));
  }
  const after = lossAt();
  assert.ok(after < before - 0.05, `loss ${before} -> ${after}`);
});
