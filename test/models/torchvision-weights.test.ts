// torchvision's weights load into nabla's models and give torchvision's outputs. The weights are a
// formula both sides compute (no weight file in the repo, see scripts/fixtures/models.py); for
// ResNet-18 and GoogLeNet the test rebuilds the exact safetensors file torchvision's user would
// save (header written by the fixture script, float32 data, int64 num_batches_tracked) and goes
// through nb.load and a strict loadStateDict. Tolerance: float32 on both sides with different
// summation orders, so |nabla − torch| ≤ tol · max|torch| + 1e-5 · |torch| element-wise, with
// tol = 5e-5 (the largest differences seen are 0.5e-6 to 3e-6 of max|torch|) except 2e-4 for
// SE-ResNet-50, whose formula weights make a few features ill-conditioned: there torch's own
// float32 result differs from its float64 one by up to 8e-5 of max|torch| (and nabla's likewise).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { captureOutput, formulaInput, modelFixture, setFormulaWeights, torchvisionSafetensors } from "./formula-weights.js";

function compare(name: string, model: nb.nn.Module, relTol = 5e-5): void {
  const fx = modelFixture().outputs[name];
  model.eval();
  const featureModule = (model as unknown as Record<string, nb.nn.Module>)[fx.featureModule];
  const { result, captured } = nb.noGrad(() => captureOutput(featureModule, () => model.forward(formulaInput(fx.input)) as nb.Tensor));
  assert.deepEqual(captured.shape, fx.featuresShape);
  assert.deepEqual(result.shape, [2, 1000]);
  // The fixture keeps, of each image, the first 256 features and the first 100 logits.
  const features = nb.noGrad(() => captured.flatten(1).slice(1, 0, 256).reshape([-1]));
  const logits = nb.noGrad(() => result.slice(1, 0, 100).reshape([-1]));
  const tol = (values: number[]) => ({ rtol: 1e-5, atol: relTol * Math.max(...values.map(Math.abs)) });
  assertClose(features, fx.features, { ...tol(fx.features), msg: `${name} features` });
  assertClose(logits, fx.logits, { ...tol(fx.logits), msg: `${name} logits` });
}

async function loadThroughTorchvisionFile(name: string, model: nb.nn.Module): Promise<void> {
  const fx = modelFixture();
  const order = fx.stateDicts[name].map((e) => e.slice(0, e.lastIndexOf(":")));
  const dir = mkdtempSync(join(tmpdir(), "nabla-models-"));
  try {
    const file = join(dir, `${name}.safetensors`);
    writeFileSync(file, torchvisionSafetensors(fx.outputs[name].safetensorsHeader!, order));
    const sd = await nb.load(file);
    assert.deepEqual([...sd.keys()].sort(), [...order].sort());
    const result = model.loadStateDict(sd);
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    for (const t of sd.values()) t.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("resnet18: a torchvision safetensors state dict loads strictly and reproduces torchvision's eval outputs", async () => {
  const model = nb.models.resnet18({ initWeights: false });
  await loadThroughTorchvisionFile("resnet18", model);
  compare("resnet18", model);
});

test("googlenet: a torchvision safetensors state dict (with aux classifiers) loads and reproduces torchvision's eval outputs", async () => {
  const model = nb.models.googlenet({ initWeights: false });
  await loadThroughTorchvisionFile("googlenet", model);
  compare("googlenet", model);
});

test("vgg11: torchvision's weights (set in place, 133M of them) reproduce torchvision's eval outputs on 32x32", () => {
  const model = nb.models.vgg11({ initWeights: false });
  setFormulaWeights(model);
  compare("vgg11", model);
});

test("resnet50 (bottleneck blocks, v1.5 stride in the 3x3): torchvision's eval outputs", () => {
  const model = nb.models.resnet50({ initWeights: false });
  setFormulaWeights(model);
  compare("resnet50", model);
});

test("seResnet50: the outputs of a PyTorch SE-ResNet-50 (SE after bn3, before the shortcut sum)", () => {
  const model = nb.models.seResnet50({ initWeights: false });
  setFormulaWeights(model);
  compare("se_resnet50", model, 2e-4);
});

test("inceptionV3 on 75x75 (its smallest input): torchvision's eval outputs", () => {
  const model = nb.models.inceptionV3({ initWeights: false });
  setFormulaWeights(model);
  compare("inception_v3", model);
});

test("a state dict for the wrong model fails loudly: strict loading names the missing and mismatched keys", () => {
  const small = nb.models.resnet18({ initWeights: false, numClasses: 10 });
  const sd = nb.models.resnet18({ initWeights: false }).stateDict();
  assert.throws(() => small.loadStateDict(sd), /size mismatch for fc\.weight: checkpoint has shape \[1000, 512\], the model has \[10, 512\]/);
  const partial = new Map([...sd].filter(([k]) => !k.startsWith("layer4.1.")));
  assert.throws(() => nb.models.resnet18({ initWeights: false }).loadStateDict(partial), /missing keys: layer4\.1\.conv1\.weight, /);
});
