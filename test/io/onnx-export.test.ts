// nb.io.exportOnnx: zoo models and hand-written ones traced, written as ONNX and run in
// onnxruntime-node; outputs compared with nabla's (1e-4), at the traced and another batch size, and
// with the file imported back into nabla;
// recurrent layers as ONNX LSTM/GRU nodes; the errors for ops without an ONNX form.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as nb from "../../src/index.js";
import { decodeModel } from "../../src/io/onnx/onnx-proto.js";

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "output sizes differ");
  let m = 0, scale = 1;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

/** Non-trivial batch-norm statistics, so eval-mode batch norm is not the identity. */
function randomizeBuffers(m: nb.nn.Module): void {
  const g = new nb.Generator(7);
  nb.noGrad(() => {
    for (const [name, b] of m.namedBuffers()) {
      if (name.endsWith("running_mean")) b.copy_(nb.mul(nb.randn(b.shape, { generator: g }), 0.1));
      if (name.endsWith("running_var")) b.copy_(nb.add(nb.rand(b.shape, { generator: g }), 0.5));
    }
  });
}

async function ortOutputs(bytes: Uint8Array, inputs: nb.Tensor[]): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => {
    feeds[s.inputNames[i]] = x.dtype === "int32" ? new ort.Tensor("int32", x.dataSync() as Int32Array, x.shape) : new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape);
  });
  const r = await s.run(feeds);
  return s.outputNames.map((n) => r[n].data as Float32Array);
}

/**
 * Export on `shapes[0]`, then compare onnxruntime with nabla at every shape (other batch sizes
 * too), and the file imported back into nabla (nb.io.importOnnx) with both.
 */
async function checkModel(label: string, model: nb.nn.Module, shapes: number[][], opts: nb.io.ExportOnnxOptions = {}, makeInput = (s: number[]) => nb.randn(s)): Promise<Uint8Array> {
  model.eval();
  const bytes = await nb.io.exportOnnx(model, makeInput(shapes[0]), null, opts);
  const back = nb.io.importOnnxBytes(bytes);
  for (const shape of shapes) {
    const x = makeInput(shape);
    const ours = nb.noGrad(() => model.forward(x));
    const oursList = (Array.isArray(ours) ? ours : [ours]) as nb.Tensor[];
    const theirs = await ortOutputs(bytes, [x]);
    assert.ok(maxRelDiff(oursList[0].dataSync(), theirs[0]) < 1e-4, `${label} at input ${JSON.stringify(shape)}: onnxruntime's output differs from nabla's`);
    const reimported = nb.noGrad(() => back.forward(x));
    const first = (Array.isArray(reimported) ? reimported[0] : reimported) as nb.Tensor;
    assert.ok(maxRelDiff(first.dataSync(), theirs[0]) < 1e-4, `${label} at input ${JSON.stringify(shape)}: the re-imported model differs from onnxruntime`);
  }
  return bytes;
}

test("exportOnnx: lenet5 and typicalCnn run in onnxruntime with nabla's outputs, at the traced and another batch size", async () => {
  await checkModel("lenet5", nb.models.lenet5(), [[2, 1, 28, 28], [5, 1, 28, 28]]);
  await checkModel("typicalCnn", nb.models.typicalCnn(), [[2, 1, 28, 28], [3, 1, 28, 28]]);
});

test("exportOnnx: resnet18 (initialised weights, batch-norm statistics) at 64x64", async () => {
  nb.manualSeed(1);
  const m = nb.models.resnet18({ numClasses: 10 });
  randomizeBuffers(m);
  const bytes = await checkModel("resnet18", m, [[1, 3, 64, 64], [2, 3, 64, 64]]);
  const ops = new Set(decodeModel(bytes).graph!.node!.map((n) => n.opType));
  for (const op of ["Conv", "BatchNormalization", "Relu", "MaxPool", "Add", "GlobalAveragePool", "Gemm"]) assert.ok(ops.has(op), `resnet18 has a ${op} node`);
});

test("exportOnnx: seqLstm (2 layers) becomes ONNX LSTM nodes with ONNX's gate order", async () => {
  nb.manualSeed(2);
  const bytes = await checkModel("seqLstm", nb.models.seqLstm({ hiddenSize: 12, numLayers: 2 }), [[2, 1, 28, 28], [4, 1, 28, 28]]);
  assert.equal(decodeModel(bytes).graph!.node!.filter((n) => n.opType === "LSTM").length, 2);
});

class GruNet extends nb.nn.Module {
  gru = new nb.nn.GRU(5, 6, { bidirectional: true });
  rnn = new nb.nn.RNN(12, 4, { nonlinearity: "relu", batchFirst: false });
  fc = new nb.nn.Linear(4, 3);
  forward(x: nb.Tensor): nb.Tensor {
    const [out] = this.gru.forward(x) as [nb.Tensor, nb.Tensor];
    const [, h] = this.rnn.forward(out) as [nb.Tensor, nb.Tensor];
    return this.fc.forward(nb.squeeze(h, 0));
  }
}

test("exportOnnx: bidirectional GRU (linear_before_reset) and a ReLU RNN, sequence-first, batch dim symbolic", async () => {
  nb.manualSeed(3);
  const bytes = await checkModel("GruNet", new GruNet(), [[7, 2, 5], [7, 3, 5]], {}, (s) => nb.randn(s));
  const ops = decodeModel(bytes).graph!.node!.map((n) => n.opType);
  assert.ok(ops.includes("GRU") && ops.includes("RNN"));
});

test("exportOnnx: charLstm (int32 token ids → Embedding → LSTM → Linear)", async () => {
  nb.manualSeed(4);
  const m = nb.models.charLstm({ vocabSize: 11, embeddingDim: 6, hiddenSize: 8 });
  await checkModel("charLstm", m, [[2, 5], [3, 5]], {}, (s) => nb.randint(0, 11, s));
});

class Functional extends nb.nn.Module {
  a = new nb.nn.Linear(8, 8);
  b = new nb.nn.Linear(8, 4);
  forward(x: nb.Tensor): nb.Tensor[] {
    const h = nb.relu(this.a.forward(nb.flatten(x, 1)));
    const g = nb.sigmoid(nb.mul(h, 2)).add(nb.sub(h, 0.5).div(3));
    const y = nb.cat([g, nb.tanh(h)], 1).reshape([x.shape[0], 2, 8]).transpose(1, 2);
    const z = nb.matmul(y, nb.softmax(nb.ones([2, 2]), 1)).mean(2);
    const w = nb.logSoftmax(this.b.forward(nb.pow(nb.sqrt(nb.abs(z)), 2)), 1);
    return [w, z.sum(1, true).exp().neg()];
  }
}

test("exportOnnx: functional code (ops called in forward) and several outputs", async () => {
  nb.manualSeed(5);
  const m = new Functional();
  const x = nb.randn([3, 2, 4]);
  const bytes = await nb.io.exportOnnx(m, x, null, { outputNames: ["logp", "score"] });
  const model = decodeModel(bytes);
  assert.deepEqual(model.graph!.output!.map((o) => o.name), ["logp", "score"]);
  for (const shape of [[3, 2, 4], [6, 2, 4]]) {
    const xi = nb.randn(shape);
    const [w, s] = nb.noGrad(() => m.forward(xi));
    const [ow, os] = await ortOutputs(bytes, [xi]);
    assert.ok(maxRelDiff(w.dataSync(), ow) < 1e-4, "first output");
    assert.ok(maxRelDiff(s.dataSync(), os) < 1e-4, "second output");
  }
});

test("exportOnnx: opsets 9, 11, 13 and 18 (attribute- and input-form axes, Squeeze, Slice) run in onnxruntime and import back", async () => {
  for (const opset of [9, 11, 13, 18]) {
    nb.manualSeed(6);
    await checkModel(`seqLstm opset ${opset}`, nb.models.seqLstm({ hiddenSize: 6 }), [[2, 1, 8, 28]], { opsetVersion: opset });
    await checkModel(`Functional opset ${opset}`, new Functional(), [[3, 2, 4]], { opsetVersion: opset });
  }
});

test("exportOnnx: a file at the path, a shape as example input, the model's mode left as it was", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-onnx-"));
  try {
    const m = nb.models.lenet5();
    m.train();
    const file = join(dir, "lenet.onnx");
    await nb.io.exportOnnx(m, [1, 1, 28, 28], file, { inputNames: ["image"], dynamicBatch: false });
    assert.equal(m.training, true);
    const g = decodeModel(readFileSync(file)).graph!;
    assert.equal(g.input![0].name, "image");
    assert.deepEqual(g.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimValue), [1, 1, 28, 28]);
    const initializers = new Set(g.initializer!.map((t) => t.name));
    for (const [name] of m.namedParameters()) assert.ok(initializers.has(name), `parameter ${name} is an initializer`);
    // The exported file imports back into a Module with the same outputs.
    const back = await nb.io.importOnnx(file);
    const x = nb.randn([1, 1, 28, 28]);
    m.eval();
    assert.ok(maxRelDiff((nb.noGrad(() => back.forward(x)) as nb.Tensor).dataSync(), nb.noGrad(() => m.forward(x)).dataSync()) < 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

class Untraced extends nb.nn.Module {
  fc = new nb.nn.Linear(4, 4);
  forward(x: nb.Tensor): nb.Tensor {
    // A value computed outside nabla's ops from the input: the tracer cannot see it.
    const host = nb.tensor(Float32Array.from(x.dataSync(), (v) => v * 2), { shape: x.shape });
    return this.fc.forward(host);
  }
}

class Atan2Head extends nb.nn.Module {
  fc = new nb.nn.Linear(4, 4);
  forward(x: nb.Tensor): nb.Tensor {
    return nb.atan2(this.fc.forward(x), x);
  }
}
class Wrapper extends nb.nn.Module {
  body = new nb.nn.Sequential(new nb.nn.ReLU(), new Atan2Head());
  forward(x: nb.Tensor): nb.Tensor {
    return this.body.forward(x);
  }
}

test("exportOnnx: an op without an ONNX form is an error naming the op and the module path", async () => {
  await assert.rejects(nb.io.exportOnnx(new Wrapper(), [2, 4], null), /exportOnnx: op 'atan2' \(called in module 'body\.1'\) has no ONNX form/);
  await assert.rejects(nb.io.exportOnnx(new Untraced(), [2, 4], null), /a tensor of shape \[2, 4\] used by op 'linear' in module 'fc' depends on the input \(its values or its batch size\) but was made outside the ops the tracer sees/);
  await assert.rejects(nb.io.exportOnnx(nb.models.lenet5(), [2, 1, 28, 28], null, { opsetVersion: 8 }), /opsetVersion must be an integer from 9 to 18, got 8/);
  await assert.rejects(nb.io.exportOnnx(nb.models.lenet5(), [2, 1, 28, 28], null, { opset: 17 } as never), /exportOnnx: unknown option/);
  await assert.rejects(nb.io.exportOnnx(nb.models.lenet5(), [2, 3, 28, 28], null), /exportOnnx: the model's forward pass failed on input of shape \[2, 3, 28, 28\]/);
});
