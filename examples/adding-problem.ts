// The adding problem (Hochreiter & Schmidhuber, 1997): each step of a sequence holds a random
// number in [0, 1) and a marker; exactly two steps are marked, the first in the sequence's first
// tenth and the second before its middle, and the target is the sum of the two marked numbers.
// The answer has to be carried across at least half of the sequence, so a plain RNN's gradient
// has vanished by the time it reaches the marked steps: it learns only to predict the mean (1.0,
// test MSE ≈ 1/6), while an LSTM, whose cell state carries gradients across time, solves it.
//
// Lengths differ within a batch (minLength..maxLength): the batch is padded, packed with
// nb.nn.utils.rnn.packPaddedSequence, and each sequence's final state is its own last step's.
// The two models have about the same number of parameters: RNN(2, 128) + Linear(128, 1) and
// LSTM(2, 64) + Linear(64, 1). The LSTM's forget-gate bias starts at 1 (Keras' default,
// unit_forget_bias; torch draws it like every other bias): the cell then keeps what it stored
// from the first step on, and the LSTM solves the task in a few hundred steps instead of a few
// thousand. The RNN has no gate to set.
//
// Run: node --import tsx examples/adding-problem.ts [training steps, default 1500] [maxLength, default 30]
//      (minLength is half of maxLength; batch 64, Adam lr 3e-3, gradient norm clipped to 1)

import * as nb from "../src/index.js";

const steps = Number(process.argv[2] ?? 1500);
const maxLength = Number(process.argv[3] ?? 30);
const minLength = Math.ceil(maxLength / 2);
const batchSize = 64;
const { packPaddedSequence } = nb.nn.utils.rnn;
type PackedSequence = nb.nn.utils.rnn.PackedSequence;

/** A batch of n sequences: padded inputs [n, maxLength, 2] packed, their lengths, targets [n, 1]. */
function addingBatch(n: number, gen: nb.Generator): { x: PackedSequence; lengths: number[]; y: nb.Tensor } {
  const x = new Float32Array(n * maxLength * 2);
  const y = new Float32Array(n);
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    const [uLen, uA, uB] = gen.hostUniform(3);
    const length = minLength + Math.floor(uLen * (maxLength - minLength + 1));
    const tenth = Math.max(1, Math.floor(length / 10));
    const a = Math.floor(uA * tenth); // in the first tenth
    const b = tenth + Math.floor(uB * (Math.floor(length / 2) - tenth)); // before the middle
    const values = gen.hostUniform(length);
    for (let t = 0; t < length; t++) x[(i * maxLength + t) * 2] = values[t];
    x[(i * maxLength + a) * 2 + 1] = 1;
    x[(i * maxLength + b) * 2 + 1] = 1;
    y[i] = values[a] + values[b];
    lengths.push(length);
  }
  const padded = nb.tensor(x, { shape: [n, maxLength, 2] });
  // Unsorted lengths: packPaddedSequence sorts them and the layer returns hN in the batch's order.
  const packed = packPaddedSequence(padded, lengths, { batchFirst: true, enforceSorted: false });
  padded.dispose();
  return { x: packed, lengths, y: nb.tensor(y, { shape: [n, 1] }) };
}

/** A recurrent layer over the packed batch, then a Linear on each sequence's final hidden state. */
class Adder extends nb.nn.Module {
  readonly rnn: nb.nn.RNN | nb.nn.LSTM;
  readonly head: nb.nn.Linear;

  constructor(kind: "rnn" | "lstm", hidden: number) {
    super();
    this.rnn = kind === "rnn" ? new nb.nn.RNN(2, hidden) : new nb.nn.LSTM(2, hidden);
    this.head = new nb.nn.Linear(hidden, 1);
    // Gates are stacked i, f, g, o (torch's order): rows hidden..2·hidden of the bias are the forget gate's.
    if (this.rnn instanceof nb.nn.LSTM) {
      const biasIh = new Map(this.rnn.namedParameters()).get("bias_ih_l0")!; // torch: lstm.bias_ih_l0[H:2H].fill_(1)
      nb.noGrad(() => nb.fill_(nb.narrow(biasIh, 0, hidden, hidden), 1));
    }
  }

  forward(x: PackedSequence): nb.Tensor {
    const hN = this.rnn instanceof nb.nn.LSTM ? this.rnn.forward(x)[1][0] : (this.rnn as nb.nn.RNN).forward(x)[1];
    return this.head.forward(hN.squeeze(0)); // hN: [1, N, hidden], each row at its own last step
  }
}

function evaluate(model: Adder, test: ReturnType<typeof addingBatch>): { mse: number; solved: number } {
  return nb.noGrad(() => {
    model.eval();
    const pred = model.forward(test.x);
    const err = nb.sub(pred, test.y);
    const mse = nb.mean(nb.mul(err, err)).item();
    // Hochreiter & Schmidhuber's criterion: a sequence is solved when |error| < 0.04.
    const solved = nb.mean(nb.cast(nb.lt(nb.abs(err), 0.04), "float32")).item();
    model.train();
    return { mse, solved };
  });
}

function train(kind: "rnn" | "lstm", hidden: number): { mse: number; solved: number; seconds: number } {
  nb.manualSeed(0);
  const model = new Adder(kind, hidden);
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  const optimizer = new nb.optim.Adam(model.parameters(), { lr: 3e-3 });
  const gen = new nb.Generator(1);
  const test = addingBatch(1000, new nb.Generator(2)); // the same test set for both models
  const started = performance.now();
  const name = kind === "rnn" ? `RNN(2, ${hidden})` : `LSTM(2, ${hidden})`;
  console.log(`${name} + Linear(${hidden}, 1): ${params.toLocaleString("en-US")} parameters`);
  let running = 0;
  for (let step = 1; step <= steps; step++) {
    nb.tidy(() => {
      const batch = addingBatch(batchSize, gen);
      optimizer.zeroGrad();
      const loss = nb.nn.functional.mseLoss(model.forward(batch.x), batch.y);
      loss.backward();
      nb.nn.utils.clipGradNorm(model.parameters(), 1);
      optimizer.step();
      running = 0.98 * running + 0.02 * loss.item();
    });
    if (step % Math.max(1, Math.floor(steps / 6)) === 0 || step === steps) {
      const r = evaluate(model, test);
      console.log(`  step ${step}: train MSE ${(running / (1 - 0.98 ** step)).toFixed(4)}, test MSE ${r.mse.toFixed(4)}, solved ${(r.solved * 100).toFixed(1)}%`);
    }
  }
  return { ...evaluate(model, test), seconds: (performance.now() - started) / 1000 };
}

console.log(`Adding problem: lengths ${minLength}..${maxLength}, ${steps} steps of batch ${batchSize} (backend ${nb.getBackend()}); ` +
  "predicting the mean (1.0) gives MSE 0.1667 and solves about 8%");
const rnn = train("rnn", 128);
const lstm = train("lstm", 64);
const line = (name: string, r: { mse: number; solved: number; seconds: number }) =>
  `${name}: test MSE ${r.mse.toFixed(4)}, solved (|error| < 0.04) ${(r.solved * 100).toFixed(1)}% (${r.seconds.toFixed(0)} s)`;
console.log(line("RNN ", rnn));
console.log(line("LSTM", lstm));
