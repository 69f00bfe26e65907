// The zoo's state dicts equal torchvision 0.14's key for key and shape for shape (fixture from
// scripts/fixtures/models.py), and parameter counts equal the published ones. Models are built
// with initWeights: false: only names and shapes matter here, and no random draw is spent.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { modelFixture, stateDictEntries } from "./formula-weights.js";

const M = nb.models;
const count = (m: nb.nn.Module): number => m.parameters().reduce((a, p) => a + p.numel(), 0);

/** torchvision name → nabla builder, and the count the papers / torchvision's docs publish. */
const ZOO: [string, () => nb.nn.Module, number][] = [
  ["alexnet", () => M.alexnet({ initWeights: false }), 61_100_840],
  ["vgg11", () => M.vgg11({ initWeights: false }), 132_863_336],
  ["vgg11_bn", () => M.vgg11({ batchNorm: true, initWeights: false }), 132_868_840],
  ["vgg13", () => M.vgg13({ initWeights: false }), 133_047_848],
  ["vgg13_bn", () => M.vgg13({ batchNorm: true, initWeights: false }), 133_053_736],
  ["vgg16", () => M.vgg16({ initWeights: false }), 138_357_544],
  ["vgg16_bn", () => M.vgg16({ batchNorm: true, initWeights: false }), 138_365_992],
  ["vgg19", () => M.vgg19({ initWeights: false }), 143_667_240],
  ["vgg19_bn", () => M.vgg19({ batchNorm: true, initWeights: false }), 143_678_248],
  ["googlenet", () => M.googlenet({ initWeights: false }), 13_004_888],
  ["inception_v3", () => M.inceptionV3({ initWeights: false }), 27_161_264],
  ["resnet18", () => M.resnet18({ initWeights: false }), 11_689_512],
  ["resnet34", () => M.resnet34({ initWeights: false }), 21_797_672],
  ["resnet50", () => M.resnet50({ initWeights: false }), 25_557_032],
  ["resnet101", () => M.resnet101({ initWeights: false }), 44_549_160],
  ["resnet152", () => M.resnet152({ initWeights: false }), 60_192_808],
  ["wide_resnet50_2", () => M.wideResnet50_2({ initWeights: false }), 68_883_240],
];

for (const [name, build, published] of ZOO) {
  test(`${name}: state-dict keys and shapes equal torchvision's, ${published.toLocaleString("en-US")} parameters`, () => {
    const fx = modelFixture();
    const model = build();
    assert.deepEqual(stateDictEntries(model), fx.stateDicts[name]);
    assert.equal(count(model), fx.numParams[name]);
    assert.equal(count(model), published);
  });
}

test("googlenet and inceptionV3 without auxiliary classifiers: torchvision's keys minus the aux ones; 6,624,904 and 23,834,568 parameters", () => {
  const fx = modelFixture();
  const g = M.googlenet({ auxLogits: false, initWeights: false });
  assert.deepEqual(stateDictEntries(g), fx.stateDicts.googlenet.filter((e) => !/^aux[12]\./.test(e)));
  assert.equal(count(g), 6_624_904);
  assert.equal(fx.numParams.googlenet_no_aux, 6_624_904);
  const i3 = M.inceptionV3({ auxLogits: false, initWeights: false });
  assert.deepEqual(stateDictEntries(i3), fx.stateDicts.inception_v3.filter((e) => !e.startsWith("AuxLogits.")));
  assert.equal(count(i3), 23_834_568);
  assert.equal(fx.numParams.inception_v3_no_aux, 23_834_568);
});

test("seResnet50: ResNet-50's keys with an SE block (se.fc1/se.fc2, 1x1 convs with bias, reduction 16) after each bn3; 28,088,024 parameters (the paper's 28.09M)", () => {
  const fx = modelFixture();
  const expected: string[] = [];
  for (const e of fx.stateDicts.resnet50) {
    expected.push(e);
    const m = /^(layer\d\.\d+)\.bn3\.num_batches_tracked:$/.exec(e);
    if (!m) continue;
    const c = Number(/:(\d+)$/.exec(fx.stateDicts.resnet50.find((x) => x.startsWith(`${m[1]}.bn3.weight:`))!)![1]);
    expected.push(`${m[1]}.se.fc1.weight:${c / 16},${c},1,1`, `${m[1]}.se.fc1.bias:${c / 16}`, `${m[1]}.se.fc2.weight:${c},${c / 16},1,1`, `${m[1]}.se.fc2.bias:${c}`);
  }
  const se = M.seResnet50({ initWeights: false });
  assert.deepEqual(stateDictEntries(se), expected);
  // The same list as the PyTorch SE-ResNet-50 of the fixture script (timm's names and order).
  assert.deepEqual(stateDictEntries(se), fx.stateDicts.se_resnet50);
  assert.equal(count(se), 25_557_032 + 3 * 8_464 + 4 * 33_312 + 6 * 132_160 + 3 * 526_464);
  assert.equal(count(se), 28_088_024);
});

test("alexnet variant original: the paper's 96/256/384/384/256 filters with groups=2 in conv2, conv4, conv5 and LRN; 60,965,224 parameters", () => {
  const m = M.alexnet({ variant: "original", initWeights: false });
  assert.deepEqual(stateDictEntries(m), [
    "features.0.weight:96,3,11,11", "features.0.bias:96",
    "features.4.weight:256,48,5,5", "features.4.bias:256",
    "features.8.weight:384,256,3,3", "features.8.bias:384",
    "features.10.weight:384,192,3,3", "features.10.bias:384",
    "features.12.weight:256,192,3,3", "features.12.bias:256",
    "classifier.1.weight:4096,9216", "classifier.1.bias:4096",
    "classifier.4.weight:4096,4096", "classifier.4.bias:4096",
    "classifier.6.weight:1000,4096", "classifier.6.bias:1000",
  ]);
  assert.equal(count(m), 60_965_224);
  const types = (m.features as nb.nn.Sequential).children().map((c) => c.constructor.name);
  assert.deepEqual(types.slice(0, 8), ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d", "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"]);
  const lrn = (m.features as nb.nn.Sequential).at(2) as nb.nn.LocalResponseNorm;
  // The paper's alpha = 1e-4 is per summed square; torch's LRN divides alpha by n = 5.
  assert.deepEqual([lrn.size, lrn.alpha, lrn.beta, lrn.k], [5, 5e-4, 0.75, 2]);
  assert.throws(() => M.alexnet({ variant: "2012" as "original" }), /^RangeError: alexnet: variant must be "torchvision" or "original", got "2012"$/);
});

test("zfnet: 7x7/2 first layer, 5x5/2 second, dense 384/384/256; 62,357,608 parameters", () => {
  const m = M.zfnet({ initWeights: false });
  assert.deepEqual(stateDictEntries(m), [
    "features.0.weight:96,3,7,7", "features.0.bias:96",
    "features.4.weight:256,96,5,5", "features.4.bias:256",
    "features.8.weight:384,256,3,3", "features.8.bias:384",
    "features.10.weight:384,384,3,3", "features.10.bias:384",
    "features.12.weight:256,384,3,3", "features.12.bias:256",
    "classifier.1.weight:4096,9216", "classifier.1.bias:4096",
    "classifier.4.weight:4096,4096", "classifier.4.bias:4096",
    "classifier.6.weight:1000,4096", "classifier.6.bias:1000",
  ]);
  assert.equal(count(m), 62_357_608);
  assert.equal(count(M.zfnet({ numClasses: 10, initWeights: false })), 62_357_608 - 990 * 4097);
});

test("numClasses and inChannels change only the classifier and the stem", () => {
  const r = M.resnet18({ numClasses: 10, inChannels: 1, initWeights: false });
  const sd = r.stateDict();
  assert.deepEqual(sd.get("fc.weight")!.shape, [10, 512]);
  assert.deepEqual(sd.get("conv1.weight")!.shape, [64, 1, 7, 7]);
  assert.equal(count(r), 11_689_512 - 990 * 513 - 2 * 64 * 49);
  const g = M.googlenet({ numClasses: 10, initWeights: false });
  assert.deepEqual(["fc.weight", "aux1.fc2.weight", "aux2.fc2.weight"].map((k) => g.stateDict().get(k)!.shape), [[10, 1024], [10, 1024], [10, 1024]]);
  assert.deepEqual(M.inceptionV3({ numClasses: 5, initWeights: false }).stateDict().get("AuxLogits.fc.weight")!.shape, [5, 768]);
});
