// Batch-norm folding for inference (nb.nn.fuse in eval mode, nb.nn.optimizeForInference): folded
// models agree with the layers they replace to float32 rounding — stated tolerance: every output
// within 1e-5 relative, plus 1e-5 of the output's largest magnitude absolute (values near zero) —
// keep the state-dict names, refold after a weight changes, run the original layers (values and
// gradients bit for bit) in training mode, and refuse to fold a model that is training.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const nn = nb.nn;
const TOLERANCE = 1e-5;

/** Non-trivial running statistics and affine parameters in every batch norm (fresh ones are the identity). */
function randomizeBatchNorms(model: nb.nn.Module): void {
  nb.noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof nn.BatchNorm1d || m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm3d)) continue;
      const c = m.numFeatures;
      m.running_mean!.copy_(nb.randn([c]).mul(0.3));
      m.running_var!.copy_(nb.rand([c]).mul(0.5).add(0.75));
      m.weight!.copy_(nb.rand([c]).mul(0.5).add(0.75));
      m.bias!.copy_(nb.randn([c]).mul(0.2));
    }
  });
}

/** Outputs of `folded` against `reference` at the stated tolerance. */
function assertFoldedClose(folded: nb.Tensor, reference: nb.Tensor, msg: string): void {
  const scale = reference.abs().max().item();
  assertClose(folded, reference, { rtol: TOLERANCE, atol: TOLERANCE * scale, msg });
}

const kinds = (m: nb.nn.Module): string[] => m.children().map((c) => c.constructor.name);
const bits = (t: nb.Tensor): number[] => Array.from(t.dataSync());
/** A copy of a tensor's values, for comparing whole state dicts quickly. */
const snapshot = (t: nb.Tensor): Buffer => Buffer.from(t.dataSync().slice().buffer);

test("foldBatchNorm: w' = w·γ/√(var+ε), b' = (b−μ)·γ/√(var+ε)+β, per output channel", () => {
  const w = nb.tensor([[1, 2], [3, 4]]);
  const b = nb.tensor([0.5, -1]);
  const bn = { runningMean: nb.tensor([1, 2]), runningVar: nb.tensor([3, 8]), weight: nb.tensor([2, 0.5]), bias: nb.tensor([0.25, 1]), eps: 1 };
  const f = nn.foldBatchNorm(w, b, bn);
  // s = γ/√(var+ε) = [2/2, 0.5/3]
  assertClose(f.weight, [[1, 2], [3 * 0.5 / 3, 4 * 0.5 / 3]]);
  assertClose(f.bias, [(0.5 - 1) * 1 + 0.25, (-1 - 2) * (0.5 / 3) + 1]);
  const noAffine = nn.foldBatchNorm(w, null, { ...bn, weight: null, bias: null });
  assertClose(noAffine.bias, [-1 / 2, -2 / 3]);
  assertThrowsMatching(() => nn.foldBatchNorm(w, b, { ...bn, runningVar: nb.ones([3]) }),
    /foldBatchNorm: runningVar must have shape \[2\] \(one value per output channel of weight \[2, 2\]\), got \[3\]/);
});

test("fuse in eval mode folds VGG-style Sequentials (conv-bn-relu-pool, conv-bn, linear-bn1d-relu) within tolerance; state dict unchanged", () => {
  nb.manualSeed(11);
  const net = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 8, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.Conv2d(8, 4, 1, { padding: 1, paddingMode: "reflect" }), new nn.BatchNorm2d(4), new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 16), new nn.BatchNorm1d(16), new nn.ReLU(),
    new nn.Linear(16, 5, { bias: false }), new nn.BatchNorm1d(5),
  );
  randomizeBatchNorms(net);
  net.eval();
  const before = new Map([...net.stateDict()].map(([k, t]) => [k, snapshot(t)]));
  const folded = nn.fuse(net);
  assert.deepEqual(kinds(folded), [
    "FoldedConvBatchNorm", "FoldedBatchNorm", "Identity", "Identity",
    "FoldedConvBatchNorm", "FoldedBatchNorm", "Identity",
    "FoldedConvBatchNorm", "FoldedBatchNorm", "Flatten",
    "FoldedLinearBatchNorm", "FoldedBatchNorm", "Identity",
    "FoldedLinearBatchNorm", "FoldedBatchNorm",
  ]);
  assert.deepEqual(kinds(net)[0], "Conv2d", "the original is untouched");
  // Same tensors under the same names: loading and saving see the model as it was.
  assert.deepEqual([...folded.stateDict().keys()], [...net.stateDict().keys()]);
  for (const [k, t] of folded.stateDict()) assert.equal(t, net.stateDict().get(k), k);
  const x = nb.randn([3, 3, 8, 8]);
  const reference = nb.noGrad(() => net.forward(x) as nb.Tensor);
  assertFoldedClose(nb.noGrad(() => folded.forward(x) as nb.Tensor), reference, "folded Sequential");
  for (const [k, t] of net.stateDict()) assert.ok(snapshot(t).equals(before.get(k)!), `${k} is unchanged by folding`);
  // foldBatchNorm: false keeps the batch norms (the exact ReLU → MaxPool fusion still applies).
  assert.deepEqual(kinds(nn.fuse(net, { foldBatchNorm: false })).slice(0, 4), ["Conv2d", "BatchNorm2d", "ReLUMaxPool", "Identity"]);
  // A Linear → BatchNorm1d block on 3-D input normalises dim 1, as the layers do (no folding there).
  const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3));
  randomizeBatchNorms(seq);
  seq.eval();
  const x3 = nb.randn([2, 3, 4]);
  assert.deepEqual(bits(nb.noGrad(() => nn.fuse(seq).forward(x3) as nb.Tensor)), bits(nb.noGrad(() => seq.forward(x3) as nb.Tensor)));
});

test("fuse folds resnet18 and resnet50 in eval mode (stem, blocks, downsample) within tolerance", () => {
  for (const [name, build, shape] of [["resnet18", nb.models.resnet18, [2, 3, 40, 40]], ["resnet50", nb.models.resnet50, [1, 3, 32, 32]]] as const) {
    nb.manualSeed(5);
    const model = build({ numClasses: 7 });
    randomizeBatchNorms(model);
    model.eval();
    const folded = nn.fuse(model);
    const kindsOf = (m: nb.nn.Module) => m.modules().map((c) => c.constructor.name);
    const batchNorms = kindsOf(model).filter((k) => k === "BatchNorm2d").length;
    assert.equal(kindsOf(folded).filter((k) => k === "FoldedConvBatchNorm").length, batchNorms, `${name}: every batch norm folded`);
    assert.equal(kindsOf(folded).filter((k) => k === "BatchNorm2d").length, 0, name);
    const x = nb.randn([...shape]);
    assertFoldedClose(nb.noGrad(() => folded.forward(x)), nb.noGrad(() => model.forward(x)), name);
  }
});

test("folded weights are refolded after an in-place change, loadStateDict or setData, and dropped in training", () => {
  nb.manualSeed(2);
  const net = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3), new nn.ReLU());
  randomizeBatchNorms(net);
  net.eval();
  const folded = nn.fuse(net);
  const block = folded.at(0) as nb.nn.FoldedConvBatchNorm;
  const x = nb.randn([2, 2, 5, 5]);
  const check = (msg: string) => assertFoldedClose(nb.noGrad(() => folded.forward(x) as nb.Tensor), nb.noGrad(() => net.forward(x) as nb.Tensor), msg);
  check("first fold");
  const first = block.folded();
  assert.equal(block.folded(), first, "nothing changed: the same folded weights");
  const bn = net.at(1) as nb.nn.BatchNorm2d;
  nb.noGrad(() => bn.running_mean!.add_(1));
  check("after running_mean.add_");
  assert.notEqual(block.folded(), first);
  const sd = new Map([...net.stateDict()].map(([k, t]) => [k, k.endsWith("num_batches_tracked") ? t : nb.randn(t.shape)]));
  net.loadStateDict(sd);
  check("after loadStateDict");
  nb.noGrad(() => (net.at(0) as nb.nn.Conv2d).weight.setData(nb.randn([3, 2, 3, 3])));
  check("after setData");
  // An optimizer step on the shared parameters, then eval again.
  const opt = new nb.optim.SGD(net.parameters(), { lr: 0.1 });
  folded.train();
  const y = folded.forward(x) as nb.Tensor;
  y.sum().backward();
  opt.step();
  folded.eval();
  net.eval();
  check("after a training step");
});

test("in training mode (or with gradients for the parameters) a folded block runs its layers: values and gradients bit for bit", () => {
  nb.manualSeed(3);
  const net = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(27, 4), new nn.BatchNorm1d(4));
  randomizeBatchNorms(net);
  net.eval();
  const folded = nn.fuse(net);
  const gradsOf = (m: nb.nn.Module, x: nb.Tensor) => {
    m.zeroGrad();
    const y = m.forward(x) as nb.Tensor;
    y.mul(nb.arange(0, 12).reshape([3, 4])).sum().backward();
    return [bits(y), ...m.parameters().map((p) => bits(p.grad!))];
  };
  const x = nb.randn([3, 2, 5, 5]);
  // Eval with grad enabled: autograd must reach the parameters, so the layers run.
  assert.deepEqual(gradsOf(folded, x), gradsOf(net, x));
  folded.train();
  net.train();
  const statsBefore = bits((net.at(1) as nb.nn.BatchNorm2d).running_mean!);
  assert.deepEqual(gradsOf(folded, x), gradsOf(net, x), "training: batch statistics, the same values and gradients");
  assert.notDeepEqual(bits((net.at(1) as nb.nn.BatchNorm2d).running_mean!), statsBefore, "training updates the running statistics");
});

test("fuse leaves models without batch norm and models in training mode unfolded; fuseModules refuses to fold a training model", () => {
  nb.manualSeed(4);
  const plain = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.Conv2d(2, 2, 3), new nn.Flatten(), new nn.Linear(8, 2));
  plain.eval();
  const fusedPlain = nn.fuse(plain);
  assert.deepEqual(kinds(fusedPlain), kinds(plain));
  const x = nb.randn([2, 1, 6, 6]);
  assert.deepEqual(bits(fusedPlain.forward(x) as nb.Tensor), bits(plain.forward(x) as nb.Tensor));
  const model = nb.models.resnet18({ numClasses: 3 });
  assert.equal(nn.fuse(model).modules().filter((m) => m instanceof nn.FoldedConvBatchNorm).length, 0, "training: nothing folds");
  assertThrowsMatching(() => nn.fuseModules(model, [["conv1", "bn1"]]),
    /fuseModules: \[conv1, bn1\] \(Conv2d → BatchNorm2d\) folds a batch norm, which uses its running statistics: the layers must be in eval mode, but Conv2d and BatchNorm2d are training; call model\.eval\(\) first/);
  model.eval();
  const named = nn.fuseModules(model, [["conv1", "bn1"], ["layer1.0.conv1", "layer1.0.bn1"]]);
  assert.equal(named.modules().filter((m) => m instanceof nn.FoldedConvBatchNorm).length, 2);
  assertThrowsMatching(() => nn.fuse(model, { fold: false } as never), /fuse: unknown option "fold"/);
});

test("optimizeForInference: a folded copy sharing nothing with the model, parameters frozen, weights folded once; training models are refused", () => {
  nb.manualSeed(6);
  const model = nb.models.resnet18({ numClasses: 4 });
  randomizeBatchNorms(model);
  assertThrowsMatching(() => nn.optimizeForInference(model),
    /optimizeForInference: the model is in training mode \(the model itself, "conv1", "bn1" and \d+ more\); call model\.eval\(\) first/);
  model.eval();
  const before = new Map([...model.stateDict()].map(([k, t]) => [k, snapshot(t)]));
  const fast = nn.optimizeForInference(model);
  assert.deepEqual([...fast.stateDict().keys()], [...model.stateDict().keys()]);
  const original = model.stateDict();
  for (const [k, t] of fast.stateDict()) {
    assert.notEqual(t, original.get(k), `${k} is a clone`);
    assert.ok(snapshot(t).equals(before.get(k)!), k);
  }
  assert.ok(fast.parameters().every((p) => !p.requiresGrad));
  const x = nb.randn([1, 3, 32, 32]);
  const reference = nb.noGrad(() => model.forward(x));
  const y = fast.forward(x);
  assert.equal(y.requiresGrad, false, "no graph is recorded, even outside noGrad");
  assertFoldedClose(y, reference, "optimizeForInference");
  // Training the model changes nothing in the copy.
  nb.noGrad(() => model.fc.weight.add_(1));
  assert.deepEqual(bits(fast.forward(x)), bits(y));
  // Saliency through the folded copy: the input's gradient still flows.
  const xg = x.clone().requiresGrad_();
  fast.forward(xg).sum().backward();
  assert.ok(xg.grad && xg.grad.abs().sum().item() > 0);
  for (const [k, t] of model.stateDict()) if (k !== "fc.weight") assert.ok(snapshot(t).equals(before.get(k)!), `${k} untouched`);
});
