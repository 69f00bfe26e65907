// The CLI knows the zoo by name, with each model's design input shape.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { buildModel, defaultInputShape, MODEL_NAMES } from "../../src/cli/registry.js";
import { main } from "../../src/cli/main.js";

test("registry: every zoo model by name, torchvision's spellings accepted, design input shapes", () => {
  for (const name of ["resnet18", "resnet50", "wide-resnet50-2", "se-resnet50", "vgg16-bn", "googlenet", "inception-v3", "alexnet-original", "zfnet", "lenet5-1998"]) {
    assert.ok(MODEL_NAMES.includes(name), name);
  }
  const r = buildModel("wide_resnet50_2", { numClasses: 10, inChannels: 3, initWeights: false });
  assert.ok(r instanceof nb.models.ResNet);
  assert.deepEqual(r.stateDict().get("fc.weight")!.shape, [10, 2048]);
  assert.deepEqual(r.stateDict().get("layer1.0.conv2.weight")!.shape, [128, 128, 3, 3]);
  // Unset options fall back to the model's own defaults (1000 ImageNet classes).
  assert.deepEqual(buildModel("vgg11_bn", { numClasses: undefined, initWeights: false }).stateDict().get("classifier.6.weight")!.shape, [1000, 4096]);
  assert.deepEqual(defaultInputShape("resnet18"), [3, 224, 224]);
  assert.deepEqual(defaultInputShape("inception-v3"), [3, 299, 299]);
  assert.deepEqual(defaultInputShape("alexnet-original"), [3, 227, 227]);
  assert.deepEqual(defaultInputShape("lenet5-1998"), [1, 32, 32]);
  assert.deepEqual(defaultInputShape("lenet5"), [1, 28, 28]);
  assert.deepEqual(defaultInputShape("resnet18", 1), [1, 224, 224]);
  // The CLI trains through nb.fit (one output tensor): GoogLeNet and Inception v3 come without aux classifiers there.
  assert.equal((buildModel("googlenet", { initWeights: false }) as nb.models.GoogLeNet).aux1, null);
  assert.equal((buildModel("inception-v3", { initWeights: false }) as nb.models.Inception3).AuxLogits, null);
  assert.throws(() => buildModel("resnet19", {}), /^Error: unknown model "resnet19" \(did you mean "resnet18"\?\); choose one of typical-cnn, /);
});

test("nabla summary --model lenet5-1998: 60,000 trainable parameters and 840 fixed RBF codes", async () => {
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { out.push(a.join(" ")); };
  try {
    assert.equal(await main(["summary", "--model", "lenet5-1998"]), 0);
  } finally {
    console.log = log;
  }
  const text = out.join("\n");
  assert.match(text, /c3 \(ConnectionTableConv2d\)\s+\[-1, 16, 10, 10\]\s+1,516/);
  assert.match(text, /Total params: 60,840\nTrainable params: 60,000\nNon-trainable params: 840/);
});
