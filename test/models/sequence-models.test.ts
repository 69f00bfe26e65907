// nb.models.seqLstm, charLstm (with charLstmLoss) and sampleText.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

const maxAbsDiff = (a: nb.Tensor, b: nb.Tensor): number => nb.max(nb.abs(nb.sub(a, b))).item();

test("seqLstm: LSTM(28, 128) → Linear(128, 10), 82,186 parameters, on sequences or single-channel images", () => {
  nb.manualSeed(0);
  const m = nb.models.seqLstm();
  assert.equal(m.parameters().reduce((s, p) => s + p.numel(), 0), 82_186);
  assert.deepEqual(m.stateDict().get("lstm.weight_ih_l0")!.shape, [512, 28]);
  const images = nb.rand([3, 1, 28, 28]);
  const out = m.forward(images);
  assert.deepEqual(out.shape, [3, 10]);
  assert.ok(maxAbsDiff(out, m.forward(images.reshape([3, 28, 28]))) === 0);
  assert.throws(() => m.forward(nb.rand([3, 3, 28, 28])), /SeqLSTM: input must be sequences \[N, T, 28\] or single-channel images \[N, 1, H, 28\] read row by row; got \[3, 3, 28, 28\]/);
  assert.throws(() => nb.models.seqLstm({ inChannels: 3 }), /inChannels must be 1/);
  const two = nb.models.seqLstm({ inputSize: 8, hiddenSize: 16, numLayers: 2, numClasses: 4 });
  assert.deepEqual(two.forward(nb.rand([2, 5, 8])).shape, [2, 4]);
});

test("charLstm: logits [N, T, V]; stepping with the carried state equals one pass; charLstmLoss is the per-position mean", () => {
  nb.manualSeed(1);
  const m = nb.models.charLstm({ vocabSize: 11, embeddingDim: 6, hiddenSize: 10 });
  const ids = nb.randint(0, 11, [2, 7], { dtype: "int32" });
  const logits = m.forward(ids);
  assert.deepEqual(logits.shape, [2, 7, 11]);
  const [first, state] = m.step(ids.narrow(1, 0, 3));
  const [rest] = m.step(ids.narrow(1, 3, 4), state);
  assert.ok(maxAbsDiff(nb.cat([first, rest], 1), logits) < 1e-6);

  const targets = nb.randint(0, 11, [2, 7], { dtype: "int32" });
  const loss = nb.models.charLstmLoss(logits, targets).item();
  const keras = nb.losses.sparseCategoricalCrossentropy(logits, targets, { fromLogits: true }).item();
  assert.ok(Math.abs(loss - keras) < 1e-5, `${loss} vs ${keras}`);
  let byHand = 0;
  for (let n = 0; n < 2; n++) {
    for (let t = 0; t < 7; t++) {
      byHand += nb.nn.functional.crossEntropy(logits.narrow(0, n, 1).narrow(1, t, 1).reshape([1, 11]), targets.narrow(0, n, 1).narrow(1, t, 1).reshape([1])).item();
    }
  }
  assert.ok(Math.abs(loss - byHand / 14) < 1e-5);
  assert.throws(() => nb.models.charLstmLoss(logits, targets.reshape([14])), /charLstmLoss: logits must be \[N, T, V\] and targets \[N, T\]/);
  assert.throws(() => m.forward(nb.rand([2, 7])), /CharLSTM: input must be int32 character ids \[N, T\]; got float32 of shape \[2, 7\]/);
  assert.throws(() => nb.models.charLstm({}), /give vocabSize/);
  assert.throws(() => nb.models.charLstm({ vocabSize: 5, numClasses: 6 }), /disagree/);
  assert.equal(nb.models.charLstm({ numClasses: 5 }).vocabSize, 5);
});

test("charLstm trains with nb.fit on a text and its greedy sample follows the text", async () => {
  nb.manualSeed(2);
  const text = nb.datasets.text({ text: "abcdefgh".repeat(40), seqLength: 16, step: 4 });
  const m = nb.models.charLstm({ vocabSize: text.vocabSize, embeddingDim: 8, hiddenSize: 32 });
  const h = await nb.fit(m, {
    train: text, epochs: 6, batchSize: 16, optimizer: new nb.optim.Adam(m.parameters(), { lr: 0.02 }), loss: nb.models.charLstmLoss, verbose: 0,
  });
  assert.ok(h.loss[5] < 0.2 && h.loss[5] < h.loss[0] / 5, h.loss.join(" → "));
  assert.equal(nb.models.sampleText(m, text.vocabulary, { prime: "cd", length: 10, temperature: 0 }), "cdefghabcdef");
  assert.ok(m.training, "sampling restores train mode");
});

test("sampleText: seeded and repeatable, temperature sharpens, prime and length honoured", () => {
  nb.manualSeed(3);
  const vocab = nb.datasets.text({ text: "xyz xyz", seqLength: 2 }).vocabulary;
  const m = nb.models.charLstm({ vocabSize: vocab.size, embeddingDim: 4, hiddenSize: 8 });
  const a = nb.models.sampleText(m, vocab, { prime: "xy", length: 30, generator: new nb.Generator(7) });
  const b = nb.models.sampleText(m, vocab, { prime: "xy", length: 30, generator: new nb.Generator(7) });
  assert.equal(a, b);
  assert.equal([...a].length, 32);
  assert.ok(a.startsWith("xy"));
  assert.equal([...nb.models.sampleText(m, vocab, { length: 5 })].length, 6, "a random first character, then 5");
  assert.throws(() => nb.models.sampleText(m, vocab, { temperature: -1 }), /temperature must be a finite number ≥ 0/);
  assert.throws(() => nb.models.sampleText(m, vocab, { prime: "q" }), /character "q"/);
  assert.throws(() => nb.models.sampleText(m, vocab, { temp: 1 } as never), /temp.*temperature/);

  // sampleIndex: u walks the cumulative softmax(logits / T); T = 0 is the argmax.
  const logits = [0, Math.log(3), 0];
  assert.equal(nb.models.sampleIndex(logits, 0, 0.99), 1);
  assert.deepEqual([0.1, 0.3, 0.7, 0.9].map((u) => nb.models.sampleIndex(logits, 1, u)), [0, 1, 1, 2]); // p = 0.2, 0.6, 0.2
  assert.deepEqual([0.05, 0.5, 0.95].map((u) => nb.models.sampleIndex(logits, 0.1, u)), [1, 1, 1]); // p ≈ 0, 1, 0
});
