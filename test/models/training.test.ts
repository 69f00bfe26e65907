// One SGD step lowers the loss on a tiny batch (2 images) for representative models: ResNet-18
// with its real (torchvision) initialisation, and VGG11 and GoogLeNet with the fixture formula's
// weights (drawing VGG11's 133M random weights would take most of a minute on the cpu backend).
// Dropout masks are made the same before and after the step by reseeding.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { formulaInput, setFormulaWeights } from "./formula-weights.js";

const M = nb.models;

function lossAfterOneStep(
  model: nb.nn.Module, x: nb.Tensor, target: nb.Tensor, lr: number,
  lossFn: (out: any, t: nb.Tensor) => nb.Tensor = (out, t) => nb.nn.functional.crossEntropy(out, t),
): [number, number] {
  model.train();
  const opt = new nb.optim.SGD(model.parameters().filter((p) => p.requiresGrad), { lr });
  const loss = (): nb.Tensor => {
    nb.manualSeed(5);
    return lossFn(model.forward(x), target);
  };
  const before = loss();
  opt.zeroGrad();
  before.backward();
  opt.step();
  const after = nb.noGrad(loss);
  return [before.item(), after.item()];
}

test("resnet18 (torchvision's initialisation, 10 classes) on 2x3x32x32: one SGD step lowers the loss", () => {
  nb.manualSeed(1);
  const model = M.resnet18({ numClasses: 10 });
  // He-normal, fan-out: std √(2 / (64·7·7)); batch norms start at 1 and 0.
  const std = model.conv1.weight.std().item();
  assert.ok(Math.abs(std - Math.sqrt(2 / (64 * 49))) < 0.001, `conv1 std ${std}`);
  assert.equal(model.bn1.weight!.min().item(), 1);
  assert.ok(model.fc.weight.abs().max().item() <= 1 / Math.sqrt(512));
  const x = nb.randn([2, 3, 32, 32], { generator: new nb.Generator(2) });
  const [before, after] = lossAfterOneStep(model, x, nb.tensor([3, 7], { dtype: "int32" }), 0.05);
  assert.ok(after < before, `loss ${before} → ${after}`);
  assert.equal(model.bn1.num_batches_tracked!.item(), 2);
});

// classifier.0 (the 25088→4096 layer, 103M weights) stays frozen: on the cpu backend its weight
// gradient alone takes over 10 s (the full step measured 25–40 s), everything else trains.
test("vgg11 (10 classes) on 2x3x32x32: one SGD step lowers the loss (the first fc frozen, for time)", () => {
  const model = M.vgg11({ numClasses: 10, initWeights: false });
  setFormulaWeights(model);
  model.freeze("classifier.0");
  const [before, after] = lossAfterOneStep(model, formulaInput([2, 3, 32, 32]), nb.tensor([1, 8], { dtype: "int32" }), 0.01);
  assert.ok(after < before, `loss ${before} → ${after}`);
});

test("googlenet (10 classes) on 2x3x64x64 with googlenetLoss: the auxiliary classifiers get gradients and one step lowers the loss", () => {
  const model = M.googlenet({ numClasses: 10, initWeights: false });
  setFormulaWeights(model);
  const x = formulaInput([2, 3, 64, 64]);
  const target = nb.tensor([0, 9], { dtype: "int32" });
  const [before, after] = lossAfterOneStep(model, x, target, 1e-4, M.googlenetLoss);
  assert.ok(after < before, `loss ${before} → ${after}`);
  for (const p of [model.aux1!.fc2.weight, model.aux2!.conv.conv.weight, model.inception4a.branch1.conv.weight, model.conv1.conv.weight]) {
    assert.ok(p.grad && p.grad.abs().max().item() > 0);
  }
  // In eval mode the aux classifiers are skipped: the loss is the plain cross entropy.
  model.eval();
  const evalOut = nb.noGrad(() => model.forward(x));
  assert.ok(evalOut instanceof nb.Tensor);
});
