// nb.io.importOnnx on models torch exported (scripts/fixtures/onnx_models.py): outputs against
// torch's and onnxruntime's at opsets 9 (where torch exports it), 11, 13 and 17 (so the
// attribute-vs-input forms of Squeeze, Unsqueeze, Slice, Split, Pad, Clip and the reductions), a
// batch size other than the traced one, fine-tuning (gradients reach the initializers), and the
// errors for unsupported operators.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import * as nb from "../../src/index.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";
import { encodeModel, decodeModel } from "../../src/io/onnx/onnx-proto.js";

const fixtures = JSON.parse(readFileSync("test/fixtures/onnx_models.json", "utf8")) as Record<string, { opsets: number[]; input: Enc; output: Enc }>;
const path = (name: string, opset: number): string => `test/fixtures/onnx/${name}_opset${opset}.onnx`;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function ortRun(file: string, x: nb.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape) });
  return r[s.outputNames[0]].data as Float32Array;
}

for (const [name, fx] of Object.entries(fixtures)) {
  for (const opset of fx.opsets) {
    test(`importOnnx: torch's ${name} model at opset ${opset} gives torch's and onnxruntime's outputs`, async () => {
      const model = await nb.io.importOnnx(path(name, opset));
      const x = decodeFixture(fx.input);
      const y = nb.noGrad(() => model.forward(x)) as nb.Tensor;
      assert.deepEqual(y.shape, fx.output.shape);
      assert.ok(maxDiff(y.dataSync(), decodeFixture(fx.output).dataSync()) < 1e-4, `${name}: differs from torch`);
      assert.ok(maxDiff(y.dataSync(), await ortRun(path(name, opset), x)) < 1e-4, `${name}: differs from onnxruntime`);
    });
  }
}

test("importOnnx: an imported model runs another batch size than the one torch traced (dynamic batch)", async () => {
  for (const [name, batchAxis, shape] of [["cnn", 0, [5, 1, 12, 12]], ["shape", 0, [3, 4, 4]], ["gru", 1, [6, 3, 5]], ["lstm", 0, [4, 7, 5]]] as const) {
    const file = path(name, 17);
    const model = await nb.io.importOnnx(file);
    const x = nb.randn([...shape]);
    const y = nb.noGrad(() => model.forward(x)) as nb.Tensor;
    assert.equal(y.shape[0], shape[batchAxis]);
    assert.ok(maxDiff(y.dataSync(), await ortRun(file, x)) < 1e-4, name);
  }
});

test("importOnnx: initializers are parameters; one SGD step changes the outputs, gradients reach every weight", async () => {
  const model = await nb.io.importOnnx(readFileSync(path("cnn", 17)));
  const params = model.parameters();
  assert.ok(params.length >= 6, `${params.length} parameters`);
  // Batch norm statistics are buffers, not trained.
  assert.ok(model.namedBuffers().length >= 4, "batch-norm statistics are buffers");
  const x = decodeFixture(fixtures.cnn.input);
  const before = (nb.noGrad(() => model.forward(x)) as nb.Tensor).dataSync().slice();
  const opt = new nb.optim.SGD(params, { lr: 0.1 });
  const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, nb.tensor([1, 3], { dtype: "int32" }));
  loss.backward();
  for (const p of params) assert.ok(p.grad && p.grad.abs().sum().item() > 0, "every parameter gets a gradient");
  opt.step();
  const after = (nb.noGrad(() => model.forward(x)) as nb.Tensor).dataSync();
  assert.ok(maxDiff(before, after) > 1e-3, "one SGD step changes the outputs");
});

test("importOnnx: the LSTM model's gradients flow into ONNX's W, R and B", async () => {
  const model = await nb.io.importOnnx(path("lstm", 13));
  const y = model.forward(decodeFixture(fixtures.lstm.input)) as nb.Tensor;
  y.sum().backward();
  const withGrad = model.parameters().filter((p) => p.grad && p.grad.abs().sum().item() > 0);
  assert.equal(withGrad.length, model.parameters().length);
});

test("importOnnx: an unsupported operator fails at import, naming the operator, its node and the opset", async () => {
  const m = decodeModel(readFileSync(path("cnn", 17)));
  m.graph!.node![1].opType = "Einsum";
  const name = m.graph!.node![1].name;
  await assert.rejects(nb.io.importOnnx(encodeModel(m)), new RegExp(`operator Einsum of node '${name}' \\(opset 17\\) is not supported`));
  const g = decodeModel(readFileSync(path("gru", 17)));
  const gru = g.graph!.node!.find((n) => n.opType === "GRU")!;
  gru.attribute = gru.attribute!.filter((a) => a.name !== "linear_before_reset");
  await assert.rejects(nb.io.importOnnx(encodeModel(g)), /operator GRU of node '.*' \(opset 17\) is not supported in this form: GRU with linear_before_reset=0/);
  await assert.rejects(nb.io.importOnnx(new Uint8Array([1, 2, 3, 4])), /importOnnx: /);
});
