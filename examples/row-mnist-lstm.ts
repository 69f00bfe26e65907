// Row-by-row MNIST: an LSTM reads each 28x28 digit as a sequence of 28 rows of 28 pixels, and its
// final hidden state is classified by one Linear layer. 1 epoch of Adam, then the test accuracy.
// scripts/reference/row_mnist_lstm.py is the same setup in PyTorch (docs/sequence-models.md has
// both figures).
// Run: node --import tsx examples/row-mnist-lstm.ts [training images, default 60000]
//      (with fewer, the test set is cut to a sixth of them, at least 500)

import * as nb from "../src/index.js";

const limit = Number(process.argv[2] ?? 60000);
nb.manualSeed(0);
const train = nb.datasets.mnist({ split: "train", limit });
const test = nb.datasets.mnist({ split: "test", limit: limit >= 60000 ? undefined : Math.max(500, Math.floor(limit / 6)) });

/** LSTM(28, 128) over the rows → the last hidden state → Linear(128, 10). */
class RowLSTM extends nb.nn.Module {
  readonly lstm = new nb.nn.LSTM(28, 128, { batchFirst: true });
  readonly fc = new nb.nn.Linear(128, 10);

  forward(images: nb.Tensor): nb.Tensor {
    const rows = images.reshape([-1, 28, 28]); // [N, 1, 28, 28] → [N, T = 28, features = 28]
    const [, [hN]] = this.lstm.forward(rows); // hN: [numLayers = 1, N, 128]
    return this.fc.forward(hN.squeeze(0));
  }
}

const model = new RowLSTM();
nb.summary(model, [1, 28, 28]);
const started = performance.now();
await nb.fit(model, {
  train, epochs: 1, batchSize: 64,
  optimizer: new nb.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: "crossEntropy", metrics: ["accuracy"], verbose: process.stdout.isTTY ? 1 : 0,
});
const seconds = (performance.now() - started) / 1000;
const logs = await nb.evaluate(model, test, { loss: "crossEntropy", metrics: ["accuracy"], batchSize: 500 });
console.log(`trained 1 epoch on ${train.length} images in ${seconds.toFixed(1)} s (backend ${nb.getBackend()})`);
console.log(`test accuracy: ${(logs.accuracy * 100).toFixed(2)}% on ${test.length} images (test loss ${logs.loss.toFixed(4)})`);
