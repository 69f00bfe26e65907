import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("summary of the course's typical CNN matches its Keras table: 27,562 parameters", () => {
  const s = nb.summary(nb.models.typicalCnn(), [1, 28, 28], { print: false });
  assert.deepEqual(s.rows.map((r) => [r.outputShape, r.params]), [
    [[-1, 8, 26, 26], 80], [[-1, 8, 26, 26], 0], [[-1, 8, 13, 13], 0], [[-1, 16, 11, 11], 1168], [[-1, 16, 11, 11], 0], [[-1, 16, 5, 5], 0],
    [[-1, 400], 0], [[-1, 64], 25664], [[-1, 64], 0], [[-1, 64], 0], [[-1, 10], 650],
  ]);
  assert.deepEqual(s.rows.map((r) => r.type), [
    "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Dropout", "Linear",
  ]);
  assert.equal(s.totalParams, 27562);
  assert.equal(s.trainableParams, 27562);
  assert.equal(s.nonTrainableParams, 0);
  assert.match(s.toString(), /Total params: 27,562/);
});

test("frozen parameters are non-trainable; buffers are reported apart from parameters", () => {
  const m = nb.models.fashionCnn();
  m.freeze("layer1");
  const s = nb.summary(m, [1, 28, 28], { print: false });
  assert.equal(s.totalParams, 416 + 32 + 12832 + 64 + 15690);
  assert.equal(s.nonTrainableParams, 416 + 32);
  assert.equal(s.bufferElements, 16 + 16 + 1 + 32 + 32 + 1);
  assert.match(s.toString(), /Buffers \(running statistics, not parameters\): 98/);
  assert.equal(m.training, true, "summary restores the model's mode");
});

test("summary traces models with branches and skip connections", () => {
  class Block extends nb.nn.Module {
    conv1 = new nb.nn.Conv2d(4, 4, 3, { padding: 1 });
    conv2 = new nb.nn.Conv2d(4, 4, 3, { padding: 1 });
    forward(x: nb.Tensor): nb.Tensor {
      return this.conv2.forward(this.conv1.forward(x).relu()).add(x).relu();
    }
  }
  class Net extends nb.nn.Module {
    stem = new nb.nn.Conv2d(3, 4, 3, { stride: 2, padding: 1 });
    block = new Block();
    head = new nb.nn.Linear(4, 2);
    forward(x: nb.Tensor): nb.Tensor {
      return this.head.forward(this.block.forward(this.stem.forward(x)).mean([2, 3]));
    }
  }
  const s = nb.summary(new Net(), [3, 8, 8], { print: false });
  assert.deepEqual(s.rows.map((r) => r.name), ["stem", "block.conv1", "block.conv2", "head"]);
  assert.deepEqual(s.rows[1].outputShape, [-1, 4, 4, 4]);
  assert.equal(s.totalParams, (27 * 4 + 4) + 2 * (36 * 4 + 4) + 10);
});

test("explain fills the formulas in with the layer's numbers", () => {
  const e = nb.explain(nb.models.typicalCnn(), [1, 28, 28], { print: false });
  const conv1 = e.rows[0];
  assert.deepEqual(conv1.outputSize, ["floor((28 + 2·0 − 3) / 1) + 1 = 26", "floor((28 + 2·0 − 3) / 1) + 1 = 26"]);
  assert.equal(conv1.paramFormula, "3·3·1·8 + 8 = 80");
  assert.deepEqual(conv1.receptiveField, [3, 3]);
  assert.equal(conv1.macs, 26 * 26 * 8 * 9);
  assert.equal(conv1.activationBytes, 8 * 26 * 26 * 4);
  assert.equal(e.rows[3].paramFormula, "3·3·8·16 + 16 = 1,168");
  // Receptive field grows 3 → 4 (pool 2) → 8 (conv 3 at jump 2) → 10 (pool 2 at jump 2); ReLU keeps it.
  assert.deepEqual(e.rows.slice(0, 6).map((r) => r.receptiveField![0]), [3, 3, 4, 8, 8, 10]);
  assert.equal(e.rows[7].paramFormula, "400·64 + 64 = 25,664");
  assert.equal(e.totalParams, 27562);
});

test("the course's output-size examples: 6x6 k3 p1 s2 → 3; 32x32 k3 valid → 30, pooled by 2 → 15", () => {
  const a = nb.explain(new nb.nn.Sequential(new nb.nn.Conv2d(1, 1, 3, { padding: 1, stride: 2 })), [1, 6, 6], { print: false });
  assert.equal(a.rows[0].outputSize[0], "floor((6 + 2·1 − 3) / 2) + 1 = 3");
  const b = nb.explain(new nb.nn.Sequential(new nb.nn.Conv2d(3, 1, 3, { padding: "valid" }), new nb.nn.MaxPool2d(2)), [3, 32, 32], { print: false });
  assert.deepEqual(b.rows.map((r) => r.outputShape), [[-1, 1, 30, 30], [-1, 1, 15, 15]]);
});

test("summary and explain reject bad input shapes and report forward failures", () => {
  const m = nb.models.typicalCnn();
  assertThrowsMatching(() => nb.summary(m, [] as number[], { print: false }), /summary: inputShape must be an array/);
  assertThrowsMatching(() => nb.summary(m, [1, -28, 28], { print: false }), /must hold positive integers/);
  assertThrowsMatching(() => nb.summary(m, [3, 28, 28], { print: false }), /summary: the model's forward pass failed on input of shape \[-1, 3, 28, 28\]/, /conv1/);
});
