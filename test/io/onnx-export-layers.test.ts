// Every layer of nb.nn exports: each alone, exported on one batch size and run in onnxruntime-node
// at that and another batch size, against nabla's output (1e-4 relative).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import * as nb from "../../src/index.js";

const N = nb.nn;
const LAYERS: [string, () => nb.nn.Module, number[]][] = [
  ["ReLU", () => new N.ReLU(), [2, 3, 4]], ["LeakyReLU", () => new N.LeakyReLU(0.2), [2, 5]], ["ELU", () => new N.ELU(), [2, 5]],
  ["SELU", () => new N.SELU(), [2, 5]], ["GELU", () => new N.GELU(), [2, 5]], ["GELU tanh", () => new N.GELU({ approximate: "tanh" }), [2, 5]],
  ["Sigmoid", () => new N.Sigmoid(), [2, 5]], ["Tanh", () => new N.Tanh(), [2, 5]], ["Softplus beta 2", () => new N.Softplus({ beta: 2 }), [2, 5]],
  ["Softsign", () => new N.Softsign(), [2, 5]], ["Atan", () => new N.Atan(), [2, 5]], ["BinaryStep", () => new N.BinaryStep(), [2, 5]],
  ["Hardtanh", () => new N.Hardtanh(), [2, 5]], ["Identity", () => new N.Identity(), [2, 5]], ["Softmax", () => new N.Softmax(1), [2, 5]],
  ["LogSoftmax", () => new N.LogSoftmax(1), [2, 5]], ["PReLU", () => new N.PReLU(3), [2, 3, 4, 4]], ["RReLU (eval)", () => new N.RReLU(), [2, 5]],
  ["Maxout", () => new N.Maxout(5, 3, 2), [2, 5]],
  ["ConvTranspose1d", () => new N.ConvTranspose1d(3, 4, 3, { stride: 2, padding: 1, outputPadding: 1 }), [2, 3, 7]],
  ["ConvTranspose2d", () => new N.ConvTranspose2d(3, 4, 3, { stride: 2, padding: 1 }), [2, 3, 5, 5]],
  ["ConvTranspose3d", () => new N.ConvTranspose3d(2, 2, 2, { stride: 2 }), [2, 2, 3, 3, 3]],
  ["Conv1d same", () => new N.Conv1d(3, 4, 3, { padding: "same" }), [2, 3, 9]],
  ["Conv2d strided dilated", () => new N.Conv2d(3, 4, 3, { stride: 2, dilation: 2 }), [2, 3, 9, 9]],
  ["Conv2d groups", () => new N.Conv2d(4, 6, 3, { groups: 2, padding: 1 }), [2, 4, 5, 5]],
  ["Conv3d", () => new N.Conv3d(2, 3, 2), [2, 2, 4, 4, 4]],
  ["Dropout (eval)", () => new N.Dropout(0.5), [2, 5]], ["AlphaDropout (eval)", () => new N.AlphaDropout(0.5), [2, 5]],
  ["Linear on 3-D", () => new N.Linear(5, 3), [2, 4, 5]], ["Flatten", () => new N.Flatten(), [2, 3, 4]], ["Unflatten", () => new N.Unflatten(1, [2, 3]), [2, 6]],
  ["BatchNorm1d", () => new N.BatchNorm1d(3), [2, 3, 5]], ["BatchNorm3d", () => new N.BatchNorm3d(2), [2, 2, 3, 3, 3]],
  ["InstanceNorm2d", () => new N.InstanceNorm2d(3, { affine: true }), [2, 3, 4, 4]], ["LayerNorm", () => new N.LayerNorm([4, 4]), [2, 3, 4, 4]],
  ["GroupNorm", () => new N.GroupNorm(2, 4), [2, 4, 3, 3]], ["LocalResponseNorm", () => new N.LocalResponseNorm(3), [2, 5, 4, 4]],
  ["MaxPool1d", () => new N.MaxPool1d(2), [2, 3, 8]], ["MaxPool3d", () => new N.MaxPool3d(2), [2, 2, 4, 4, 4]],
  ["MaxPool2d ceil padded", () => new N.MaxPool2d(3, { stride: 2, ceilMode: true, padding: 1 }), [2, 3, 8, 8]],
  ["MinPool2d", () => new N.MinPool2d(2), [2, 3, 8, 8]], ["AvgPool2d", () => new N.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [2, 3, 8, 8]],
  ["LPPool2d", () => new N.LPPool2d(2, 2), [2, 3, 8, 8]], ["AdaptiveAvgPool1d", () => new N.AdaptiveAvgPool1d(4), [2, 3, 8]],
  ["AdaptiveMaxPool2d", () => new N.AdaptiveMaxPool2d([2, 4]), [2, 3, 8, 8]], ["AdaptiveAvgPool2d up", () => new N.AdaptiveAvgPool2d(6), [2, 3, 2, 3]],
  ["GlobalAvgPool2d", () => new N.GlobalAvgPool2d(), [2, 3, 5, 5]],
  ["RNNCell", () => new N.RNNCell(5, 4, { nonlinearity: "relu" }), [2, 5]], ["LSTMCell", () => new N.LSTMCell(5, 4), [2, 5]], ["GRUCell", () => new N.GRUCell(5, 4), [2, 5]],
  ["LSTM 2 layers bidirectional batchFirst", () => new N.LSTM(5, 4, { bidirectional: true, numLayers: 2, batchFirst: true }), [2, 6, 5]],
  ["Upsample bilinear", () => new N.Upsample({ scaleFactor: 2, mode: "bilinear" }), [2, 3, 4, 4]],
  ["Upsample nearest size", () => new N.Upsample({ size: [8, 6] }), [2, 3, 4, 3]],
  ["PixelShuffle", () => new N.PixelShuffle(2), [2, 8, 3, 3]], ["PixelUnshuffle", () => new N.PixelUnshuffle(2), [2, 2, 4, 6]],
];

test("exportOnnx: every nn layer runs in onnxruntime with nabla's output, at the traced and another batch size", async () => {
  nb.manualSeed(11);
  const failures: string[] = [];
  for (const [name, make, shape] of LAYERS) {
    const m = make();
    m.eval();
    try {
      const bytes = await nb.io.exportOnnx(m, nb.randn(shape), null);
      const session = await ort.InferenceSession.create(bytes);
      for (const s of [shape, [shape[0] + 1, ...shape.slice(1)]]) {
        const x = nb.randn(s);
        const out = nb.noGrad(() => m.forward(x));
        const ours = (Array.isArray(out) ? out[0] : out) as nb.Tensor;
        const theirs = (await session.run({ input: new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape) }))[session.outputNames[0]];
        assert.deepEqual([...theirs.dims], ours.shape, `${name}: output shape`);
        const a = ours.to("float32").dataSync(), b = theirs.data as Float32Array;
        let diff = 0, scale = 1;
        for (let i = 0; i < a.length; i++) {
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(a[i]));
        }
        if (diff / scale > 1e-4) failures.push(`${name} at [${s.join(", ")}]: differs by ${diff}`);
      }
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  assert.deepEqual(failures, []);
});
