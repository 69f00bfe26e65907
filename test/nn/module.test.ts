// Module mechanics: registration from fields, PyTorch's dotted names, buffers in the state dict,
// shared parameters, train/eval, freeze/unfreeze, loadStateDict's errors, apply and toString.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const nn = nb.nn;

/** A small VGG-like net: a Sequential of conv blocks inside a custom module, then a classifier. */
class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential({ fc: new nn.Linear(16, 8), act: new nn.ReLU(), drop: new nn.Dropout(0.5), out: new nn.Linear(8, 3) });
  forward(x: nb.Tensor): nb.Tensor {
    return this.classifier.forward(this.features.forward(x).flatten(1));
  }
}

test("fields register parameters, buffers and submodules under PyTorch's dotted names", () => {
  const net = new Net();
  assert.deepEqual(net.namedParameters().map(([k]) => k), [
    "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
    "classifier.fc.weight", "classifier.fc.bias", "classifier.out.weight", "classifier.out.bias",
  ]);
  assert.deepEqual(net.namedBuffers().map(([k]) => k), ["features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"]);
  assert.deepEqual([...net.stateDict().keys()], [
    "features.0.weight", "features.0.bias",
    "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
    "classifier.fc.weight", "classifier.fc.bias", "classifier.out.weight", "classifier.out.bias",
  ]);
  assert.deepEqual(net.namedModules().map(([k, m]) => `${k}:${m.constructor.name}`), [
    ":Net", "features:Sequential", "features.0:Conv2d", "features.1:BatchNorm2d", "features.2:ReLU", "features.3:MaxPool2d",
    "classifier:Sequential", "classifier.fc:Linear", "classifier.act:ReLU", "classifier.drop:Dropout", "classifier.out:Linear",
  ]);
  assert.deepEqual(net.namedChildren().map(([k]) => k), ["features", "classifier"]);
  const params = net.parameters().reduce((n, p) => n + p.numel(), 0);
  assert.equal(params, 4 * 9 + 4 + 4 + 4 + 16 * 8 + 8 + 8 * 3 + 3);
  // The state dict shares storage with the module: it is a view, not a copy.
  assert.equal(net.stateDict().get("features.0.weight"), (net.features.at(0) as nb.nn.Conv2d).weight);
  assert.equal(net.stateDict().get("features.1.num_batches_tracked")!.dtype, "int32");
});

test("private fields, numbers and non-tensor fields are not registered", () => {
  class M extends nn.Module {
    scale = 2;
    _cache = nb.ones([3]);
    _parent: nb.nn.Module | null = null;
    plain = nb.ones([2]); // a plain tensor field is neither parameter nor buffer (torch ignores it too)
    w = new nn.Parameter(nb.zeros([2]));
    forward(x: nb.Tensor) {
      return x;
    }
  }
  const m = new M();
  m._parent = new nn.Linear(2, 2);
  assert.deepEqual([...m.stateDict().keys()], ["w"]);
  assert.deepEqual(m.children(), []);
});

test("a shared parameter or module is listed once by parameters(), under every name by stateDict()", () => {
  class Tied extends nn.Module {
    embed = new nn.Linear(4, 4, { bias: false });
    decoder = new nn.Linear(4, 4, { bias: false });
    again: nb.nn.Module;
    constructor() {
      super();
      (this.decoder as { weight: nb.nn.Parameter }).weight = this.embed.weight; // weight tying
      this.again = this.embed; // the same module under a second name
    }
    forward(x: nb.Tensor) {
      return x;
    }
  }
  const m = new Tied();
  assert.deepEqual(m.namedParameters().map(([k]) => k), ["embed.weight"]);
  assert.equal(m.parameters().length, 1);
  assert.deepEqual(m.namedModules().map(([k]) => k), ["", "embed", "decoder"]);
  assert.deepEqual([...m.stateDict().keys()], ["embed.weight", "decoder.weight", "again.weight"]);
  // A state dict saved by the same (tied) model loads back strictly.
  m.loadStateDict(m.stateDict());
});

test("train() and eval() propagate to every submodule", () => {
  const net = new Net();
  assert.ok(net.modules().every((m) => m.training));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.features.train();
  assert.equal(net.features.at(1).training, true);
  assert.equal(net.classifier.training, false);
  assert.equal(net.train().training, true);
  assert.ok(net.modules().every((m) => m.training));
  // eval really changes behaviour: dropout becomes the identity.
  const x = nb.ones([1, 1, 6, 6]);
  net.eval();
  const a = net.forward(x).dataSync(), b = net.forward(x).dataSync();
  assert.deepEqual(a, b);
});

test("freeze and unfreeze the whole model or by name prefix", () => {
  const net = new Net();
  const trainable = () => net.namedParameters().filter(([, p]) => p.requiresGrad).map(([k]) => k);
  net.freeze("features");
  assert.deepEqual(trainable(), ["classifier.fc.weight", "classifier.fc.bias", "classifier.out.weight", "classifier.out.bias"]);
  net.unfreeze("features.1");
  assert.deepEqual(trainable().slice(0, 2), ["features.1.weight", "features.1.bias"]);
  net.freeze();
  assert.deepEqual(trainable(), []);
  net.unfreeze(["classifier.out", "features.0.weight"]);
  assert.deepEqual(trainable(), ["features.0.weight", "classifier.out.weight", "classifier.out.bias"]);
  // A prefix matches whole name parts only: "feat" is not "features".
  assertThrowsMatching(() => net.freeze("feat"), /freeze: no parameter name starts with "feat"/);
  // Frozen parameters get no gradient.
  net.freeze().unfreeze("classifier.out");
  net.eval();
  net.forward(nb.ones([2, 1, 6, 6])).sum().backward();
  assert.equal((net.features.at(0) as nb.nn.Conv2d).weight.grad, null);
  assert.ok(net.namedParameters().find(([k]) => k === "classifier.out.weight")![1].grad);
});

test("loadStateDict in strict mode lists every missing key, unexpected key and shape mismatch in one error", () => {
  const net = new Net();
  const sd = new Map(net.stateDict());
  sd.delete("features.0.bias");
  sd.delete("classifier.out.weight");
  sd.set("classifier.extra.weight", nb.zeros([2]));
  sd.set("features.1.running_mean", nb.zeros([5]));
  sd.set("classifier.fc.weight", nb.zeros([8, 15]));
  let message = "";
  try {
    net.loadStateDict(sd);
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /^loadStateDict: /);
  for (const part of [
    /size mismatch for features\.1\.running_mean: checkpoint has shape \[5\], the model has \[4\]/,
    /classifier\.fc\.weight: checkpoint has shape \[8, 15\], the model has \[8, 16\]/,
    /missing keys: features\.0\.bias, classifier\.out\.weight/,
    /unexpected keys: classifier\.extra\.weight/,
  ]) assert.match(message, part);
  // Non-strict loading skips missing and unexpected keys and reports them, but shapes must still match.
  sd.set("features.1.running_mean", nb.full([4], 0.5));
  sd.set("classifier.fc.weight", nb.full([8, 16], 0.25));
  const r = net.loadStateDict(sd, { strict: false });
  assert.deepEqual(r.missingKeys, ["features.0.bias", "classifier.out.weight"]);
  assert.deepEqual(r.unexpectedKeys, ["classifier.extra.weight"]);
  assertClose(net.namedBuffers().find(([k]) => k === "features.1.running_mean")![1], [0.5, 0.5, 0.5, 0.5]);
  assertThrowsMatching(() => net.loadStateDict({ "features.0.weight": [1, 2] as unknown as nb.Tensor }, { strict: false }), /loadStateDict: values must be Tensors; not a Tensor: features\.0\.weight/);
});

test("stateDict round trip: values copy into the same tensor objects", () => {
  nb.manualSeed(1);
  const a = new Net();
  nb.manualSeed(2);
  const b = new Net();
  const bWeight = (b.features.at(0) as nb.nn.Conv2d).weight;
  assert.notDeepEqual(Array.from(bWeight.dataSync()), Array.from((a.features.at(0) as nb.nn.Conv2d).weight.dataSync()));
  // Run a's batch norm once so its running stats and counter differ from the defaults.
  a.forward(nb.randn([2, 1, 6, 6]));
  b.loadStateDict(a.stateDict());
  assert.equal((b.features.at(0) as nb.nn.Conv2d).weight, bWeight, "identity kept (optimizers hold it)");
  for (const [k, t] of a.stateDict()) assertClose(b.stateDict().get(k)!, t, { msg: k });
  assert.equal(b.stateDict().get("features.1.num_batches_tracked")!.item(), 1);
  // Copies, not aliases: changing a afterwards leaves b alone.
  nb.noGrad(() => (a.features.at(0) as nb.nn.Conv2d).weight.fill_(7));
  assert.notEqual(bWeight.dataSync()[0], 7);
  a.eval();
  b.eval();
  const x = nb.randn([3, 1, 6, 6]);
  nb.noGrad(() => (a.features.at(0) as nb.nn.Conv2d).weight.copy_(bWeight));
  assertClose(a.forward(x), b.forward(x));
});

test("apply visits children first, then the module; it can re-initialise layers", () => {
  const net = new Net();
  const order: string[] = [];
  net.apply((m) => order.push(m.constructor.name));
  assert.deepEqual(order, ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Sequential", "Linear", "ReLU", "Dropout", "Linear", "Sequential", "Net"]);
  net.apply((m) => {
    if (m instanceof nn.Linear) {
      nn.init.zeros(m.weight);
      if (m.bias) nn.init.constant(m.bias, 0.5);
    }
  });
  const fc = net.namedParameters().filter(([k]) => k.startsWith("classifier."));
  assert.ok(fc.every(([k, p]) => p.dataSync().every((v) => v === (k.endsWith("bias") ? 0.5 : 0))));
});

test("toString prints the module tree like torch's repr", () => {
  assert.equal(
    String(new Net()),
    [
      "Net(",
      "  (features): Sequential(",
      "    (0): Conv2d(1, 4, kernelSize=[3, 3], stride=[1, 1])",
      "    (1): BatchNorm2d(4, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)",
      "    (2): ReLU()",
      "    (3): MaxPool2d(kernelSize=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], ceilMode=false)",
      "  )",
      "  (classifier): Sequential(",
      "    (fc): Linear(inFeatures=16, outFeatures=8, bias=true)",
      "    (act): ReLU()",
      "    (drop): Dropout(p=0.5)",
      "    (out): Linear(inFeatures=8, outFeatures=3, bias=true)",
      "  )",
      ")",
    ].join("\n"),
  );
});

test("modules built inside tidy() keep their parameters and buffers", () => {
  const bn = nb.tidy(() => new nn.BatchNorm2d(3));
  const lin = nb.tidy(() => new nn.Linear(3, 2));
  assert.ok(bn.buffers().every((b) => !b.isDisposed));
  assert.ok(lin.parameters().every((p) => !p.isDisposed));
  bn.forward(nb.randn([2, 3, 2, 2]));
  assert.equal(bn.num_batches_tracked!.item(), 1);
});

test("zeroGrad clears every parameter's gradient; to() keeps identities", () => {
  const lin = new nn.Linear(3, 2);
  lin.forward(nb.ones([4, 3])).sum().backward();
  assert.ok(lin.weight.grad && lin.bias!.grad);
  assertClose(lin.bias!.grad!, [4, 4]);
  lin.zeroGrad();
  assert.equal(lin.weight.grad, null);
  const w = lin.weight;
  assert.equal(lin.to("cpu").weight, w);
});
