// nb.transfer: finding and replacing the head, the three freezing strategies, batch norm kept
// in inference mode in a frozen base, CNN codes, fine-tuning groups, loading pretrained weights
// without the old head, and class subsets.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transfer;
const copy = (t: nb.Tensor): number[] => Array.from(t.dataSync());
const sameValues = (a: nb.Tensor, b: number[]): boolean => copy(a).every((v, i) => v === b[i]);

test("findHead: the last Linear in registration order, or the module named", () => {
  assert.equal(T.findHead(nb.models.typicalCnn()).name, "fc2");
  assert.equal(T.findHead(nb.models.lenet5()).name, "classifier.5");
  assert.equal(T.findHead(nb.models.fashionCnn()).name, "fc.1");
  assert.equal(T.findHead(nb.models.lenet5(), "classifier").module.constructor.name, "Sequential");
  assertThrowsMatching(() => T.findHead(nb.models.lenet5(), "clasifier"), /findHead: the model has no module named "clasifier"/, /did you mean "classifier"$/);
  assertThrowsMatching(() => T.findHead(new nb.nn.Sequential(new nb.nn.Conv2d(1, 2, 3))), /no Linear layer to use as the head/);
});

test("replaceHead: a new Linear (or MLP) for N classes in the old head's place, same model object", () => {
  nb.manualSeed(1);
  const model = nb.models.lenet5();
  const before = copy(model.features.at(0).parameters()[0]);
  const r = T.replaceHead(model, 3);
  assert.equal(r.model, model);
  assert.equal(r.head, "classifier.5");
  assert.ok(r.module instanceof nb.nn.Linear);
  assert.deepEqual(model.stateDict().get("classifier.5.weight")!.shape, [3, 84]);
  assert.deepEqual((model.forward(nb.rand([2, 1, 28, 28])) as nb.Tensor).shape, [2, 3]);
  assert.ok(sameValues(model.features.at(0).parameters()[0], before), "the base is untouched");

  const mlp = nb.models.typicalCnn();
  const m = T.replaceHead(mlp, 4, { hidden: [32], dropout: 0.5 });
  assert.equal(m.head, "fc2");
  assert.deepEqual([...mlp.stateDict().keys()].filter((k) => k.startsWith("fc2")), ["fc2.0.weight", "fc2.0.bias", "fc2.3.weight", "fc2.3.bias"]);
  assert.equal(String(m.module).split("\n").length, 6); // Sequential(Linear, ReLU, Dropout, Linear)
  assert.deepEqual((mlp.eval().forward(nb.rand([2, 1, 28, 28])) as nb.Tensor).shape, [2, 4]);

  // A whole classifier block: its input size is its first Linear's, flattened first.
  const whole = nb.models.lenet5();
  T.replaceHead(whole, 2, { head: "classifier" });
  assert.deepEqual([...whole.stateDict().keys()].slice(-2), ["classifier.1.weight", "classifier.1.bias"]);
  assert.deepEqual((whole.forward(nb.rand([2, 1, 28, 28])) as nb.Tensor).shape, [2, 2]);
  // The replaced head is remembered: findHead and freeze use it, not the MLP's last Linear.
  assert.equal(T.findHead(mlp).name, "fc2");

  assertThrowsMatching(() => T.replaceHead(nb.models.lenet5(), 0), /replaceHead: numClasses must be a positive integer, got 0/);
  assertThrowsMatching(() => T.replaceHead(nb.models.lenet5(), 2, { head: "features" }), /module "features" \(Sequential\) holds no Linear layer/);
  assertThrowsMatching(() => T.replaceHead(nb.models.lenet5(), 2, { hidden: [0] }), /hidden must be an array of positive layer sizes/);
  assertThrowsMatching(() => T.replaceHead(nb.models.lenet5(), 2, { dropout: 1 }), /dropout must be a probability in \[0, 1\), got 1/);
});

test("freeze: seed 000's three strategies, upTo by name or depth, except", () => {
  const model = nb.models.typicalCnn();
  assert.deepEqual(T.baseLayers(model), ["conv1", "conv2", "fc1"]);
  const trainable = () => model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);

  assert.deepEqual(T.freeze(model).trainable, ["fc2.weight", "fc2.bias"]);
  assert.deepEqual(trainable(), ["fc2.weight", "fc2.bias"]);
  T.freeze(model, { strategy: "entire" });
  assert.equal(trainable().length, 8);
  T.freeze(model, { strategy: "frozen-base" });
  assert.deepEqual(trainable(), ["fc2.weight", "fc2.bias"]);
  // partial: by default the first half of the base (conv1, conv2) stays frozen.
  T.freeze(model, { strategy: "partial" });
  assert.deepEqual(trainable(), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  T.freeze(model, { upTo: "conv1" });
  assert.deepEqual(trainable(), ["conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  T.freeze(model, { strategy: "partial", upTo: 3 });
  assert.deepEqual(trainable(), ["fc2.weight", "fc2.bias"]);
  T.freeze(model, { base: true, except: ["conv1"] });
  assert.deepEqual(trainable(), ["conv1.weight", "conv1.bias", "fc2.weight", "fc2.bias"]);
  // Module-level freeze/unfreeze (Module's own API) still sees the result.
  assert.equal(model.parameters().filter((p) => !p.requiresGrad).length, 4);

  const lenet = nb.models.lenet5();
  assert.deepEqual(T.baseLayers(lenet), ["features.0", "features.3", "classifier.1", "classifier.3"]);
  T.freeze(lenet, { upTo: "features" });
  assert.deepEqual(lenet.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n).slice(0, 1), ["classifier.1.weight"]);

  assertThrowsMatching(() => T.freeze(model, { upTo: "layer9" }), /freeze: upTo names "layer9", which is no module of the model/);
  assertThrowsMatching(() => T.freeze(model, { upTo: 4 }), /upTo must be a layer count from 0 to 3 \(the base's layers: conv1, conv2, fc1\), got 4/);
  assertThrowsMatching(() => T.freeze(model, { upTo: "fc2" }), /which is in the head "fc2"; the head always trains/);
  assertThrowsMatching(() => T.freeze(model, { base: true, upTo: 1 }), /give either base .* or upTo/);
  assertThrowsMatching(() => T.freeze(model, { strategy: "some" as never }), /strategy must be one of "entire", "partial", "frozen-base", got "some"/);
  assertThrowsMatching(() => T.freeze(model, { except: ["conv7"] }), /except names "conv7", which is no module of the model/);
});

test("a frozen base keeps batch norm in inference mode: training the head leaves the running statistics untouched", async () => {
  nb.manualSeed(3);
  const model = nb.models.fashionCnn({ numClasses: 4 });
  // "Pretrain" a little so the running statistics are not the initial zeros and ones.
  const x = nb.rand([32, 1, 28, 28]), y = nb.randint(0, 4, [32]);
  await nb.fit(model, { train: { x, y }, epochs: 1, batchSize: 16, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.01 }), loss: "crossEntropy", verbose: 0 });
  const bn = model.layer1.at(1) as nb.nn.BatchNorm2d;
  const stats = () => [copy(bn.runningMean!), copy(bn.runningVar!), copy(bn.numBatchesTracked!)];
  const before = stats();
  const conv = copy(model.layer1.at(0).parameters()[0]);

  T.replaceHead(model, 3);
  const state = T.freeze(model);
  assert.deepEqual(state.inference, ["layer1.1", "layer2.1"]);
  model.train();
  assert.equal(bn.training, false, "model.train() leaves frozen batch norm in eval mode");
  assert.equal(model.layer1.at(0).training, true);
  const head = model.fc.at(1).parameters()[0];
  const headBefore = copy(head);
  await nb.fit(model, { train: { x, y: nb.randint(0, 3, [32]) }, epochs: 2, batchSize: 8, optimizer: new nb.optim.Adam(model.parameters().filter((p) => p.requiresGrad)), loss: "crossEntropy", verbose: 0 });
  assert.deepEqual(stats(), before, "running mean, variance and batch count unchanged");
  assert.ok(sameValues(model.layer1.at(0).parameters()[0], conv), "frozen conv weights unchanged");
  assert.ok(!sameValues(head, headBefore), "the head trained");

  // The contrast (PyTorch's plain requiresGrad = false): batch norm in train mode updates its statistics.
  T.freeze(model, { batchNorm: "train" });
  model.train();
  assert.equal(bn.training, true);
  nb.noGrad(() => model.forward(x));
  assert.ok(!sameValues(bn.runningMean!, before[0]), "statistics move when batch norm trains");

  // Fine-tuning keeps batch norm in inference mode unless asked otherwise.
  T.freeze(model);
  T.unfreeze(model);
  assert.equal(model.parameters().every((p) => p.requiresGrad), true);
  model.train();
  assert.equal(bn.training, false);
  T.unfreeze(model, { batchNorm: "train" });
  model.train();
  assert.equal(bn.training, true);
});

test("featureExtractor: the CNN codes are the head's input; extractFeatures batches a dataset in eval mode", () => {
  nb.manualSeed(4);
  const model = nb.models.typicalCnn();
  const x = nb.rand([5, 1, 28, 28]);
  const codes = T.featureExtractor(model).forward(x);
  const expected = nb.noGrad(() => {
    let h = model.pool1.forward(nb.relu(model.conv1.forward(x)));
    h = model.pool2.forward(nb.relu(model.conv2.forward(h)));
    return nb.relu(model.fc1.forward(h.flatten(1)));
  });
  // In train mode dropout sits between fc1 and the head: compare in eval mode.
  model.eval();
  assertClose(T.featureExtractor(model).forward(x), expected, { rtol: 1e-6, atol: 1e-6 });
  assert.deepEqual(codes.shape, [5, 64]);
  model.train();

  const conv = T.featureExtractor(model, { layer: "conv2" });
  assert.deepEqual(conv.forward(x).shape, [5, 16 * 11 * 11]);
  assert.deepEqual(T.featureExtractor(model, { layer: "conv2", flatten: false }).forward(x).shape, [5, 16, 11, 11]);

  const y = nb.tensor([0, 1, 2, 3, 4], { dtype: "int32" });
  const out = T.extractFeatures(model, { x, y }, { batchSize: 2 });
  assertClose(out.x, expected, { rtol: 1e-6, atol: 1e-6 });
  assert.deepEqual(copy(out.y), [0, 1, 2, 3, 4]);
  assert.equal(model.training, true, "the model's mode is restored");
  assert.equal(model.dropout.training, true);

  // The pass stops at the captured layer: a head that would fail is never run.
  const broken = nb.models.lenet5();
  (broken.classifier as nb.nn.Sequential).addModule("5", new nb.nn.Linear(999, 2));
  assert.deepEqual(T.featureExtractor(broken, { head: "classifier.5" }).forward(x).shape, [5, 84]);
  assertThrowsMatching(() => T.featureExtractor(model, { layer: "conv9" }), /featureExtractor: the model has no module named "conv9"; did you mean "conv1", "conv2"/);
  assertThrowsMatching(() => T.extractFeatures(model, { x, y }, { batchSize: 0 }), /extractFeatures: batchSize must be a positive integer, got 0/);
});

test("fineTune: base at a very low learning rate, head at a higher one; groups or an optimizer", () => {
  const model = nb.models.typicalCnn();
  T.replaceHead(model, 5);
  T.freeze(model);
  const groups = T.fineTune(model, { baseLr: 1e-5, headLr: 1e-3 });
  assert.deepEqual(groups.map((g) => [g.name, g.lr, g.params.length]), [["base", 1e-5, 6], ["head", 1e-3, 2]]);
  assert.ok(model.parameters().every((p) => p.requiresGrad), "the whole base is unfrozen");

  T.freeze(model);
  const partial = T.fineTune(model, { baseLr: 1e-4, unfreeze: "fc1" });
  assert.deepEqual(partial.map((g) => [g.name, g.lr, g.params.length]), [["base", 1e-4, 2], ["head", 1e-3, 2]]);
  T.freeze(model);
  assert.deepEqual(T.fineTune(model, { baseLr: 1e-4, unfreeze: 2 }).map((g) => g.params.length), [4, 2]);
  T.freeze(model);
  assert.deepEqual(T.fineTune(model, { baseLr: 1e-4, unfreeze: false }).map((g) => g.name), ["head"]);

  const sgd = T.fineTune(model, { baseLr: 0.001, headLr: 0.01, optimizer: nb.optim.SGD, optimizerOptions: { momentum: 0.9 } });
  assert.ok(sgd instanceof nb.optim.SGD);
  assert.deepEqual(sgd.paramGroups.map((g) => [g.lr, g.momentum]), [[0.001, 0.9], [0.01, 0.9]]);

  // One SGD step moves base weights by lr·grad: 100x less than the head's for the same gradient size.
  const x = nb.rand([4, 1, 28, 28]), y = nb.tensor([0, 1, 2, 3], { dtype: "int32" });
  const opt = new nb.optim.SGD(T.fineTune(model, { baseLr: 1e-4, headLr: 1e-2 }));
  const w0 = copy(model.fc1.weight), h0 = copy(model.fc2.weight);
  nb.nn.functional.crossEntropy(model.eval().forward(x) as nb.Tensor, y).backward();
  const g1 = copy(model.fc1.weight.grad!), g2 = copy(model.fc2.weight.grad!);
  opt.step();
  copy(model.fc1.weight).forEach((v, i) => assert.ok(Math.abs(v - (w0[i] - 1e-4 * g1[i])) < 1e-7));
  copy(model.fc2.weight).forEach((v, i) => assert.ok(Math.abs(v - (h0[i] - 1e-2 * g2[i])) < 1e-6));

  assertThrowsMatching(() => T.fineTune(model, { baseLr: -1 }), /fineTune: baseLr must be a non-negative number, got -1/);
  assertThrowsMatching(() => T.fineTune(model, { baseLr: 1e-4, unfreeze: "layer4" }), /unfreeze: only names "layer4", which is no module of the model/);
});

test("loadPretrained: every base weight loads, the old head (another class count) is left out", () => {
  nb.manualSeed(5);
  const source = nb.models.typicalCnn({ numClasses: 10 });
  const target = nb.models.typicalCnn({ numClasses: 3 });
  const r = T.loadPretrained(target, source.stateDict());
  assert.equal(r.head, "fc2");
  assert.deepEqual(r.skipped, ["fc2.weight", "fc2.bias"]);
  assert.equal(r.loaded.length, 6);
  assert.ok(sameValues(target.conv2.weight, copy(source.conv2.weight)));
  assert.deepEqual(target.fc2.weight.shape, [3, 64]);

  assertThrowsMatching(() => T.loadPretrained(nb.models.typicalCnn(), nb.models.lenet5().stateDict()), /loadPretrained: the weights lack conv1\.weight, conv1\.bias/, /are the weights for another model\?/);
  const wrongChannels = nb.models.typicalCnn({ inChannels: 3 }).stateDict();
  assertThrowsMatching(() => T.loadPretrained(nb.models.typicalCnn(), wrongChannels), /loadPretrained: size mismatch for conv1\.weight: checkpoint has shape \[8, 3, 3, 3\], the model has \[8, 1, 3, 3\]/);
});

test("selectClasses: some classes of a dataset, relabelled 0..k-1 in the order given", () => {
  const x = nb.arange(0, 6).reshape([6, 1]);
  const ds = new nb.data.TensorDataset(x, nb.tensor([3, 1, 4, 1, 5, 9], { dtype: "int32" }));
  const sub = T.selectClasses(ds, [1, 5]);
  assert.deepEqual(sub.indices, [1, 3, 4]);
  const [bx, by] = sub.getBatch([0, 1, 2]);
  assert.deepEqual(copy(bx), [1, 3, 4]);
  assert.deepEqual(copy(by), [0, 0, 1]);
  assert.deepEqual(copy(sub.get(2)[1]), [1]);
  assert.equal(T.selectClasses(ds, [1, 5], { limit: 2 }).length, 2);
  const mnist = nb.datasets.mnist({ split: "test", limit: 50 });
  const digits = T.selectClasses(mnist, ["7", "2"]);
  assert.deepEqual(digits.classes, ["7", "2"]);
  assert.ok(copy(digits.getBatch([0, 1, 2])[1]).every((v) => v === 0 || v === 1));
  assertThrowsMatching(() => T.selectClasses(mnist, ["cat"]), /selectClasses: the dataset has no class named "cat"; its classes are 0, 1, 2/);
  assertThrowsMatching(() => T.selectClasses(ds, [1, 1]), /a class is given twice/);
});

test("ResNet-18 (torchvision names): head fc, freeze up to layer3, frozen batch norm keeps its statistics while layer4's train", async () => {
  nb.manualSeed(6);
  const model = nb.models.resnet18({ numClasses: 10 });
  assert.equal(T.findHead(model).name, "fc");
  assert.deepEqual(T.baseLayers(model), ["conv1", "bn1", "layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"]);
  assert.deepEqual(T.baseLayers(nb.models.googlenet({ numClasses: 2 })).slice(-2), ["inception5a", "inception5b"], "aux classifiers are not layers of the base");
  T.replaceHead(model, 3);
  assert.deepEqual(model.fc.weight.shape, [3, 512]);
  const state = T.freeze(model, { upTo: "layer3" });
  assert.equal(state.trainable[0], "layer4.0.conv1.weight");
  assert.ok(state.inference.includes("bn1") && state.inference.includes("layer3.1.bn2") && !state.inference.includes("layer4.0.bn1"));

  const x = nb.rand([4, 3, 32, 32]), y = nb.tensor([0, 1, 2, 0], { dtype: "int32" });
  const bn = (name: string): nb.nn.BatchNorm2d => model.namedModules().find(([n]) => n === name)![1] as nb.nn.BatchNorm2d;
  const frozenStats = copy(bn("layer3.1.bn2").runningMean!);
  const trainedStats = copy(bn("layer4.0.bn1").runningMean!);
  assert.deepEqual(T.featureExtractor(model).forward(x).shape, [4, 512]);
  await nb.fit(model, { train: { x, y }, epochs: 1, batchSize: 2, optimizer: new nb.optim.SGD(model.parameters().filter((p) => p.requiresGrad), { lr: 0.01 }), loss: "crossEntropy", verbose: 0 });
  assert.deepEqual(copy(bn("layer3.1.bn2").runningMean!), frozenStats, "a frozen batch norm's statistics stay");
  assert.ok(!sameValues(bn("layer4.0.bn1").runningMean!, trainedStats), "a trainable batch norm's statistics move");
});
