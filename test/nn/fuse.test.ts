// The fusion pass (nb.nn.fuse, fuseModules): fused blocks compute exactly what their runs of
// plain layers compute, share their parameters, keep the state-dict names, and show in summary;
// subclasses and hooked layers are left alone.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const nn = nb.nn;

/** Values and gradients (input and every parameter) of two models on the same input. */
function sameValuesAndGradients(a: nb.nn.Module, b: nb.nn.Module, shape: number[]): void {
  const x = nb.randn(shape).requiresGrad_();
  const ya = a.forward(x) as nb.Tensor;
  const g = nb.randn(ya.shape);
  ya.backward(g);
  const gx = x.grad!.clone();
  const gp = a.parameters().map((p) => p.grad!.clone());
  x.grad = null;
  a.zeroGrad();
  const yb = b.forward(x) as nb.Tensor;
  yb.backward(g);
  assertClose(yb, ya, { atol: 0 });
  assertClose(x.grad!, gx, { atol: 0 });
  b.parameters().forEach((p, i) => assertClose(p.grad!, gp[i], { atol: 0 }));
}

test("fuse replaces Conv2d → ReLU → MaxPool2d and ReLU → MaxPool runs; values and gradients are bit for bit the layers'", () => {
  nb.manualSeed(1);
  const net = new nn.Sequential(
    new nn.Conv2d(3, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
  );
  const fused = nn.fuse(net);
  assert.notEqual(fused, net, "a copy unless inplace");
  assert.deepEqual(fused.children().map((m) => m.constructor.name), [
    "ConvReLUMaxPool2d", "Identity", "Identity", "Conv2d", "BatchNorm2d", "ReLUMaxPool", "Identity", "Flatten",
  ]);
  assert.deepEqual(net.children().map((m) => m.constructor.name), [
    "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten",
  ], "the original is untouched");
  // Same parameter and buffer objects under the same names.
  assert.deepEqual([...fused.stateDict().keys()], [...net.stateDict().keys()]);
  for (const [k, t] of fused.stateDict()) assert.equal(t, net.stateDict().get(k), k);
  sameValuesAndGradients(net, fused, [2, 3, 12, 12]);
  // The fused graph is one node per block where the backend has the kernel (native), else relu-pool.
  const y = fused.forward(nb.randn([2, 3, 12, 12])) as nb.Tensor;
  assert.ok(y.gradFn);
  const block = (fused.at(0) as nb.nn.Module).forward(nb.randn([1, 3, 8, 8])) as nb.Tensor;
  assert.equal(block.gradFn?.name, nb.getBackend() === "native" ? "ConvReluMaxPool2dBackward" : "ReluMaxPool2dBackward");
  // Modes are the copy's own.
  fused.eval();
  assert.equal(net.training, true);
});

test("fuse: subclasses, hooked layers, non-zero padding modes and custom forwards are not fused; inplace rewrites the model", () => {
  class MyReLU extends nn.ReLU {}
  const hooked = new nn.Conv2d(1, 2, 3);
  const original = hooked.forward.bind(hooked);
  let calls = 0;
  hooked.forward = (t: nb.Tensor) => (calls++, original(t));
  const kinds = (m: nb.nn.Module) => m.children().map((c) => c.constructor.name);
  assert.deepEqual(kinds(nn.fuse(new nn.Sequential(new nn.Conv2d(1, 2, 3), new MyReLU(), new nn.MaxPool2d(2)))), ["Conv2d", "MyReLU", "MaxPool2d"]);
  const withHook = nn.fuse(new nn.Sequential(hooked, new nn.ReLU(), new nn.MaxPool2d(2)));
  assert.deepEqual(kinds(withHook), ["Conv2d", "ReLUMaxPool", "Identity"], "the hooked conv runs alone; relu → pool still fuses");
  withHook.forward(nb.randn([1, 1, 6, 6]));
  assert.equal(calls, 1, "the hook sees its call");
  assert.deepEqual(kinds(nn.fuse(new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1, paddingMode: "reflect" }), new nn.ReLU(), new nn.MaxPool2d(2)))),
    ["Conv2d", "ReLUMaxPool", "Identity"]);
  class Custom extends nn.Sequential {
    override forward(x: nb.Tensor): nb.Tensor {
      return (super.forward(x) as nb.Tensor).mul(2);
    }
  }
  assert.deepEqual(kinds(nn.fuse(new Custom(new nn.ReLU(), new nn.MaxPool2d(2)))), ["ReLU", "MaxPool2d"], "an overridden forward is not a chain");
  const seq = new nn.Sequential(new nn.ReLU(), new nn.MaxPool1d(2));
  assert.equal(nn.fuse(seq, { inplace: true }), seq);
  assert.deepEqual(kinds(seq), ["ReLUMaxPool", "Identity"]);
  assertThrowsMatching(() => nn.fuse(seq, { inPlace: true } as never), /fuse: unknown option "inPlace" \(did you mean "inplace"\?\)/);
});

test("the typical CNN fuses into two conv blocks; summary shows them; fit trains through the fused copy and the model learns", async () => {
  nb.manualSeed(0);
  const model = nb.models.typicalCnn();
  const fused = nn.fuse(model);
  const rows = nb.summary(fused, [1, 28, 28], { print: false });
  assert.deepEqual(rows.rows.slice(0, 6).map((r) => [r.type, r.params]), [
    ["ConvReLUMaxPool2d", 80], ["Identity", 0], ["Identity", 0], ["ConvReLUMaxPool2d", 1168], ["Identity", 0], ["Identity", 0],
  ]);
  assert.equal(rows.totalParams, 27562);
  sameValuesAndGradients(model.eval(), fused.eval(), [3, 1, 28, 28]);
  // fit: the user's model keeps its layers and receives the trained weights.
  const x = nb.rand([64, 1, 28, 28]);
  const y = nb.randint(0, 10, [64], { dtype: "int32" });
  const before = model.conv1.weight.clone();
  model.train();
  const h = await nb.fit(model, { train: { x, y }, epochs: 2, batchSize: 16, loss: "crossEntropy", optimizer: new nb.optim.Adam(model.parameters(), { lr: 1e-2 }), verbose: 0 });
  assert.equal(model.conv1.constructor.name, "Conv2d");
  assert.ok(model.conv1.weight.sub(before).abs().max().item() > 0);
  assert.ok(h.loss[1] < h.loss[0]);
});

test("fuseModules fuses named runs of a custom module, and names what it cannot fuse", () => {
  class Net extends nn.Module {
    conv = new nn.Conv2d(1, 3, 3);
    act = new nn.ReLU();
    pool = new nn.MaxPool2d(2);
    head = new nn.Linear(12, 2);
    forward(x: nb.Tensor): nb.Tensor {
      return this.head.forward(this.pool.forward(this.act.forward(this.conv.forward(x))).flatten(1));
    }
  }
  const net = new Net();
  const fused = nn.fuseModules(net, [["conv", "act", "pool"]]);
  assert.deepEqual(fused.children().map((m) => m.constructor.name), ["ConvReLUMaxPool2d", "Identity", "Identity", "Linear"]);
  sameValuesAndGradients(net, fused, [2, 1, 6, 6]);
  assertThrowsMatching(() => nn.fuseModules(net, [["conv", "pool"]]), /fuseModules: \[conv, pool\] is Conv2d → MaxPool2d, which no fused block computes; fusable runs of plain layers are Conv2d → ReLU → MaxPool2d/);
  assertThrowsMatching(() => nn.fuseModules(net, [["conv", "relu"]]), /fuseModules: the model has no module named "relu"/);
});
