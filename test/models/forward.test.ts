// Forward passes of the whole zoo on small inputs (output shapes, training-mode outputs), the
// feature-map sizes the papers give, and the input checks. Weights are left unset
// (initWeights: false) where only shapes matter: no random draw is spent.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { formulaInput, setFormulaWeights } from "./formula-weights.js";
import { googlenetInit } from "../../src/models/googlenet.js";
import { vggInit } from "../../src/models/vgg.js";
import { inceptionV3Init } from "../../src/models/inception-v3.js";

const M = nb.models;
const evalForward = (m: nb.nn.Module, shape: number[]): nb.Tensor => nb.noGrad(() => m.eval().forward(nb.zeros(shape)) as nb.Tensor);

/** Output shape of each layer of a Sequential, running it layer by layer. */
function layerShapes(seq: nb.nn.Sequential, input: nb.Tensor): number[][] {
  return nb.noGrad(() => nb.tidy(() => {
    let h = input;
    return seq.children().map((m) => (h = m.forward(h) as nb.Tensor).shape.slice(1));
  }));
}

// Batch 2 wherever a big fully connected layer runs: the cpu backend's is far slower at batch 1.
// (ResNet-18/50, SE-ResNet-50, VGG11, GoogLeNet and Inception v3 run in torchvision-weights.test.ts.)
test("resnet34/101/152 and Wide ResNet-50-2 run on CIFAR-sized 3x32x32 inputs → [N, numClasses]", () => {
  for (const build of [M.resnet34, M.resnet101, M.resnet152, M.wideResnet50_2]) {
    assert.deepEqual(evalForward(build({ numClasses: 10, initWeights: false }), [1, 3, 32, 32]).shape, [1, 10], build.name);
  }
});

test("VGG16-BN runs on 3x32x32 (the adaptive pool feeds its 7x7x512 classifier); smaller inputs are refused", () => {
  assert.deepEqual(evalForward(M.vgg16({ batchNorm: true, numClasses: 7, initWeights: false }), [2, 3, 32, 40]).shape, [2, 7]);
  const vgg19 = M.vgg19({ initWeights: false });
  assert.throws(() => evalForward(vgg19, [1, 3, 31, 40]), /^RangeError: VGG: expected an input of at least 32x32 \(its 2x2 max pools halve the size 5 times\), got shape \[1, 3, 31, 40\]$/);
});

test("alexnet (torchvision's) on 3x64x64, and with 1 input channel; a wrong channel count names the layer", () => {
  assert.deepEqual(evalForward(M.alexnet({ numClasses: 10, initWeights: false }), [2, 3, 64, 64]).shape, [2, 10]);
  const gray = M.alexnet({ inChannels: 1, initWeights: false });
  assert.deepEqual(nb.noGrad(() => gray.eval().features.forward(nb.zeros([1, 1, 64, 64]))).shape, [1, 256, 1, 1]);
  assert.throws(() => evalForward(gray, [1, 3, 64, 64]), /^RangeError: Conv2d "features\.0": expected input with 1 channels \(dim 1\), got 3 in shape \[1, 3, 64, 64\]$/);
});

test("alexnet original on 227x227: the paper's 55x55x96, 27x27x256, 13x13x384 and 6x6x256 maps", () => {
  const m = M.alexnet({ variant: "original", initWeights: false }).eval();
  const shapes = layerShapes(m.features, nb.zeros([1, 3, 227, 227]));
  assert.deepEqual([shapes[0], shapes[3], shapes[4], shapes[7], shapes[8], shapes[10], shapes[12], shapes[14]], [
    [96, 55, 55], [96, 27, 27], [256, 27, 27], [256, 13, 13], [384, 13, 13], [384, 13, 13], [256, 13, 13], [256, 6, 6],
  ]);
  assert.deepEqual(nb.noGrad(() => m.classifier.forward(nb.zeros([2, 9216]))).shape, [2, 1000]);
});

test("zfnet on 224x224: the paper's 110 → 55 → 26 → 13 → 13 → 13 → 6 maps (Fig. 3)", () => {
  const m = M.zfnet({ initWeights: false }).eval();
  const shapes = layerShapes(m.features, nb.zeros([1, 3, 224, 224]));
  assert.deepEqual([shapes[0], shapes[2], shapes[3], shapes[4], shapes[6], shapes[8], shapes[10], shapes[12], shapes[14]], [
    [96, 110, 110], [96, 55, 55], [96, 55, 55], [256, 26, 26], [256, 13, 13], [384, 13, 13], [384, 13, 13], [256, 13, 13], [256, 6, 6],
  ]);
});

test("googlenet: logits in eval mode; { logits, aux1, aux2 } in training mode; logits only without aux classifiers", () => {
  const g = M.googlenet({ numClasses: 10, initWeights: false });
  setFormulaWeights(g);
  const x = formulaInput([2, 3, 64, 64]);
  const evalOut = nb.noGrad(() => g.eval().forward(x));
  assert.ok(evalOut instanceof nb.Tensor);
  assert.deepEqual(evalOut.shape, [2, 10]);
  nb.manualSeed(3);
  const trainOut = nb.noGrad(() => g.train().forward(x));
  assert.ok(!(trainOut instanceof nb.Tensor));
  assert.deepEqual(Object.keys(trainOut).sort(), ["aux1", "aux2", "logits"]);
  assert.deepEqual([trainOut.logits.shape, trainOut.aux1.shape, trainOut.aux2.shape], [[2, 10], [2, 10], [2, 10]]);
  const noAux = M.googlenet({ auxLogits: false, initWeights: false });
  assert.ok(nb.noGrad(() => noAux.train().forward(nb.zeros([2, 3, 64, 64]))) instanceof nb.Tensor);
});

test("googlenetLoss: cross entropy plus 0.3 × each auxiliary cross entropy; plain cross entropy on a tensor", () => {
  const target = nb.tensor([1, 0], { dtype: "int32" });
  const logits = nb.tensor([[2, 0.5, -1], [0.1, 0.2, 0.3]]);
  const aux1 = nb.tensor([[0, 0, 0], [1, 0, 0]]);
  const aux2 = nb.tensor([[0, 3, 0], [0, 0, 2]]);
  const ce = (t: nb.Tensor) => nb.nn.functional.crossEntropy(t, target).item();
  assertClose(M.googlenetLoss({ logits, aux1, aux2 }, target), ce(logits) + 0.3 * (ce(aux1) + ce(aux2)), { rtol: 1e-6 });
  assertClose(M.googlenetLoss(logits, target), ce(logits), { rtol: 1e-6 });
  assert.throws(() => M.googlenetLoss({ logits } as never, target), /^TypeError: googlenetLoss: expected the logits tensor or GoogLeNet's training output \{ logits, aux1, aux2 \}$/);
});

test("inceptionV3: 75x75 is the smallest input (299x299 for the aux classifier in training); the aux head; inceptionV3Loss weighs aux by 0.4", () => {
  const m = M.inceptionV3({ numClasses: 4, initWeights: false });
  assert.deepEqual(evalForward(m, [2, 3, 75, 75]).shape, [2, 4]);
  assert.throws(() => evalForward(m, [2, 3, 74, 80]), /^RangeError: Inception3: expected an input of at least 75x75 \(299x299 is the design size\), got shape \[2, 3, 74, 80\]$/);
  assert.throws(() => nb.noGrad(() => m.train().forward(nb.zeros([2, 3, 298, 400]))),
    /^RangeError: Inception3: in training mode the auxiliary classifier needs an input of at least 299x299, got shape \[2, 3, 298, 400\]; build with auxLogits: false for smaller inputs$/);
  // Without the aux classifier, training mode runs on small inputs too.
  assert.ok(nb.noGrad(() => M.inceptionV3({ auxLogits: false, initWeights: false }).train().forward(nb.zeros([2, 3, 75, 75]))) instanceof nb.Tensor);
  // The aux head on Mixed_6e's 17x17x768 grid (what a 299x299 input gives).
  assert.deepEqual(nb.noGrad(() => m.AuxLogits!.eval().forward(nb.zeros([2, 768, 17, 17]))).shape, [2, 4]);
  const target = nb.tensor([0, 3], { dtype: "int32" });
  const logits = nb.tensor([[1, 2, 3, 4], [0, 0, 0, 1]]);
  const aux = nb.tensor([[4, 0, 0, 0], [0, 1, 0, 0]]);
  const ce = (t: nb.Tensor) => nb.nn.functional.crossEntropy(t, target).item();
  assertClose(M.inceptionV3Loss({ logits, aux }, target), ce(logits) + 0.4 * ce(aux), { rtol: 1e-6 });
});

test("transformInput maps ImageNet-normalised inputs to the (x − 0.5)/0.5 range: x·std/0.5 + (mean − 0.5)/0.5 per channel", () => {
  const g = M.googlenet({ transformInput: true, initWeights: false });
  let seen: nb.Tensor | null = null;
  const conv = g.conv1.conv;
  const original = conv.forward.bind(conv);
  conv.forward = (x: nb.Tensor) => original((seen = x.clone()));
  nb.noGrad(() => g.eval().forward(nb.ones([1, 3, 64, 64])));
  const s = seen as unknown as nb.Tensor;
  assertClose(s.slice(2, 0, 1).slice(3, 0, 1).reshape([3]), [0.229 / 0.5 + (0.485 - 0.5) / 0.5, 0.224 / 0.5 + (0.456 - 0.5) / 0.5, 0.225 / 0.5 + (0.406 - 0.5) / 0.5], { rtol: 1e-6 });
});

test("SqueezeExcitation: x · sigmoid(fc2(relu(fc1(mean over H, W)))), by hand", () => {
  const se = new M.SqueezeExcitation(4, 2);
  nb.noGrad(() => {
    se.fc1.weight.copy_(nb.tensor([[1, 0, 0, 0], [0, 0, 1, -1]]).reshape([2, 4, 1, 1]));
    se.fc1.bias!.copy_(nb.tensor([0, 0.5]));
    se.fc2.weight.copy_(nb.tensor([[1, 0], [0, 1], [1, 1], [-1, 2]]).reshape([4, 2, 1, 1]));
    se.fc2.bias!.copy_(nb.tensor([0, 0, -1, 0]));
  });
  // Channel means 1, 2, 3, 4 (each a 2x2 map).
  const x = nb.tensor([[[[0, 2], [1, 1]], [[2, 2], [2, 2]], [[3, 3], [0, 6]], [[4, 4], [4, 4]]]]);
  const h = [Math.max(0, 1), Math.max(0, 3 - 4 + 0.5)]; // fc1 + relu → [1, 0]
  const z = [h[0], h[1], h[0] + h[1] - 1, -h[0] + 2 * h[1]];
  const g = z.map((v) => 1 / (1 + Math.exp(-v)));
  const y = nb.noGrad(() => se.forward(x));
  const xs = x.dataSync();
  assertClose(y.reshape([-1]), Array.from(xs, (v, i) => v * g[Math.floor(i / 4)]), { rtol: 1e-6 });
});

test("initWeights: false leaves every weight zero", () => {
  const blank = M.resnet18({ initWeights: false, numClasses: 10 });
  for (const [name, p] of blank.namedParameters()) {
    const expected = /bn1?\d?\.weight$|downsample\.1\.weight$/.test(name) ? 1 : 0;
    assert.equal(p.abs().max().item(), expected, name);
  }
});

test("torchvision's schemes: GoogLeNet N(0, 0.01²) truncated; VGG He-normal convs and N(0, 0.01²) linears with zero biases; Inception v3 aux fc 0.001", () => {
  nb.manualSeed(11);
  const inception = new M.Inception(192, 64, 96, 128, 16, 32, 32);
  googlenetInit(inception);
  const w = (inception.branch2.at(1) as nb.models.BasicConv2d).conv.weight;
  assert.ok(Math.abs(w.std().item() - 0.01) < 0.0005, `googlenet conv std ${w.std().item()}`);
  assert.equal((inception.branch2.at(1) as nb.models.BasicConv2d).bn.weight!.min().item(), 1);

  class TinyVgg extends nb.nn.Module {
    features = M.vggFeatures([32, "M"]);
    classifier = new nb.nn.Sequential(new nb.nn.Linear(200, 300));
    forward(x: nb.Tensor): nb.Tensor { return x; }
  }
  const v = new TinyVgg();
  vggInit(v as unknown as nb.models.VGG);
  const conv = v.features.at(0) as nb.nn.Conv2d, fc = v.classifier.at(0) as nb.nn.Linear;
  // He-normal, fan-out mode: std = √(2 / (32·3·3)).
  assert.ok(Math.abs(conv.weight.std().item() - Math.sqrt(2 / 288)) < 0.006, `vgg conv std ${conv.weight.std().item()}`);
  assert.equal(conv.bias!.abs().max().item(), 0);
  assert.ok(Math.abs(fc.weight.std().item() - 0.01) < 0.0003, `vgg fc std ${fc.weight.std().item()}`);
  assert.equal(fc.bias!.abs().max().item(), 0);

  class AuxHolder extends nb.nn.Module {
    AuxLogits = new M.InceptionV3Aux(8, 1000);
    forward(x: nb.Tensor): nb.Tensor { return x; }
  }
  const holder = new AuxHolder();
  inceptionV3Init(holder as unknown as nb.models.Inception3);
  assert.ok(Math.abs(holder.AuxLogits.fc.weight.std().item() - 0.001) < 0.00005);
  assert.ok(Math.abs(holder.AuxLogits.conv0.conv.weight.std().item() - 0.1) < 0.01);
});
