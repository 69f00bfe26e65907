// The course in ten lines: MNIST, the typical CNN, Adam, validation, early stopping, test report.
// Run: node --import tsx examples/train-mnist.ts [number of training images, default 60000]

import * as nb from "../src/index.js";

const limit = Number(process.argv[2] ?? 60000);
nb.manualSeed(0);
const train = nb.datasets.mnist({ split: "train", limit });
const test = nb.datasets.mnist({ split: "test", limit: Math.max(100, Math.floor(limit / 6)) });
const model = nb.models.typicalCnn();
nb.summary(model, [1, 28, 28]);

const history = await nb.fit(model, {
  train, validationSplit: 0.1, epochs: 3, batchSize: 64,
  optimizer: new nb.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: "crossEntropy", metrics: ["accuracy"],
  callbacks: [new nb.callbacks.EarlyStopping({ patience: 2, restoreBestWeights: true })],
});
const logs = await nb.evaluate(model, test, { loss: "crossEntropy", metrics: ["accuracy", "f1"] });
console.log(`test: ${JSON.stringify(logs)}`);
console.log(nb.diagnose(history).explanation);
