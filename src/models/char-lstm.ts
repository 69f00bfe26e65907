// Character-level language model: Embedding(V, E) → LSTM(E, H, batchFirst) → Linear(H, V).
// forward(ids int32 [N, T]) returns next-character logits [N, T, V] (batch first, the class axis
// last, as the layers produce them); step(ids, state) does the same from a given LSTM state and
// returns the new one, which is how text is sampled a character at a time (sample-text.ts).
//
// The loss: torch's crossEntropy takes the classes on dim 1 ([N, V, T]), so logits [N, T, V]
// cannot go to it as they are. charLstmLoss flattens both (logits [N·T, V], targets [N·T]) and
// takes the mean cross-entropy over every position: give it to nb.fit as `loss`. (Keras'
// nb.losses.SparseCategoricalCrossentropy({ fromLogits: true }), whose class axis is the last,
// gives the same value on [N, T, V] directly.)

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { noGrad } from "../autograd/grad-mode.js";
import { reshape } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import { Embedding } from "../nn/embedding.js";
import { LSTM } from "../nn/recurrent.js";
import { crossEntropy } from "../nn/loss.js";
import { checkInt, checkProbability } from "../nn/checks.js";

export interface CharLstmOptions {
  /** Characters in the vocabulary: the embedding's rows and the output size (also taken as numClasses). */
  vocabSize?: number;
  /** The CLI's name for vocabSize. */
  numClasses?: number;
  /** Embedding size (default 64). */
  embeddingDim?: number;
  /** LSTM hidden size (default 256). */
  hiddenSize?: number;
  /** Stacked LSTM layers (default 1). */
  numLayers?: number;
  /** Dropout between stacked LSTM layers (default 0). */
  dropout?: number;
  /** false leaves every parameter zero (for a summary, or before loading weights). */
  initWeights?: boolean;
}

const CHAR_LSTM_OPTIONS = optionNames<CharLstmOptions>({
  vocabSize: 1, numClasses: 1, embeddingDim: 1, hiddenSize: 1, numLayers: 1, dropout: 1, initWeights: 1,
});

/** The LSTM's state: [h, c], each [numLayers, N, H]. */
export type LstmState = [Tensor, Tensor];

export class CharLSTM extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;
  readonly vocabSize: number;

  constructor(opts: CharLstmOptions = {}) {
    super();
    checkOptions("charLstm", opts, CHAR_LSTM_OPTIONS, { vocab_size: "vocabSize", hidden: "hiddenSize" });
    if (opts.vocabSize !== undefined && opts.numClasses !== undefined && opts.vocabSize !== opts.numClasses) {
      throw new RangeError(`charLstm: vocabSize ${opts.vocabSize} and numClasses ${opts.numClasses} disagree (they are the same number: give one)`);
    }
    const v = opts.vocabSize ?? opts.numClasses;
    if (v === undefined) throw new TypeError("charLstm: give vocabSize, the number of distinct characters (e.g. dataset.vocabSize)");
    this.vocabSize = checkInt("charLstm", "vocabSize", v);
    const e = checkInt("charLstm", "embeddingDim", opts.embeddingDim ?? 64);
    const h = checkInt("charLstm", "hiddenSize", opts.hiddenSize ?? 256);
    const numLayers = checkInt("charLstm", "numLayers", opts.numLayers ?? 1);
    const dropout = checkProbability("charLstm", "dropout", opts.dropout ?? 0);
    this.embedding = new Embedding(this.vocabSize, e);
    this.lstm = new LSTM(e, h, { numLayers, dropout, batchFirst: true });
    this.fc = new Linear(h, this.vocabSize);
    if (opts.initWeights === false) noGrad(() => this.parameters().forEach((p) => p.zero_()));
  }

  /** ids: int32 [N, T] → logits [N, T, vocabSize] (from a zero state). */
  forward(ids: Tensor): Tensor {
    const [logits, [h, c]] = this.step(ids);
    h.dispose();
    c.dispose();
    return logits;
  }

  /** ids: int32 [N, T], from `state` (default zeros) → [logits [N, T, V], the state after the last step]. */
  step(ids: Tensor, state?: LstmState): [Tensor, LstmState] {
    if (ids.ndim !== 2 || ids.dtype !== "int32") {
      throw this.layerError(`input must be int32 character ids [N, T]; got ${ids.dtype} of shape ${formatShape(ids.shape)}`);
    }
    const [output, next] = this.lstm.forward(this.embedding.forward(ids), state);
    return [this.fc.forward(output), next as LstmState];
  }
}

export const charLstm = (opts: CharLstmOptions = {}): CharLSTM => new CharLSTM(opts);

/** Mean next-character cross-entropy of logits [N, T, V] against targets int32 [N, T] (nats per character). */
export function charLstmLoss(logits: Tensor, targets: Tensor): Tensor {
  if (logits.ndim !== 3 || targets.ndim !== 2 || logits.shape[0] !== targets.shape[0] || logits.shape[1] !== targets.shape[1]) {
    throw new RangeError(`charLstmLoss: logits must be [N, T, V] and targets [N, T]; got ${formatShape(logits.shape)} and ${formatShape(targets.shape)}`);
  }
  const v = logits.shape[2];
  return crossEntropy(reshape(logits, [-1, v]), reshape(targets, [-1]));
}
