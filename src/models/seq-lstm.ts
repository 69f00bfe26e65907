// Row-by-row sequence classifier (the course's recurrent MNIST): an image [N, 1, H, W] (or a
// sequence batch [N, T, F]) is read as T = H steps of F = W features by an LSTM (batchFirst), and
// the last layer's final hidden state goes through Linear(hidden, numClasses) to logits [N, C].
// With 28x28 digits and hidden 128 it is LSTM(28, 128) → Linear(128, 10): 82,186 parameters.

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { noGrad } from "../autograd/grad-mode.js";
import { narrow, reshape, squeeze } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import { LSTM } from "../nn/recurrent.js";
import { checkInt, checkProbability } from "../nn/checks.js";

export interface SeqLstmOptions {
  /** Features per step (default 28: one row of a 28x28 image). */
  inputSize?: number;
  /** LSTM hidden size (default 128). */
  hiddenSize?: number;
  /** Stacked LSTM layers (default 1). */
  numLayers?: number;
  /** Dropout between stacked LSTM layers (default 0; needs numLayers > 1 to do anything). */
  dropout?: number;
  numClasses?: number;
  /** Accepted for the CLI's image datasets: must be 1 (a channel is one image of rows). */
  inChannels?: number;
  /** false leaves every parameter zero (for a summary, or before loading weights). */
  initWeights?: boolean;
}

const SEQ_LSTM_OPTIONS = optionNames<SeqLstmOptions>({ inputSize: 1, hiddenSize: 1, numLayers: 1, dropout: 1, numClasses: 1, inChannels: 1, initWeights: 1 });

export class SeqLSTM extends Module {
  readonly lstm: LSTM;
  readonly fc: Linear;
  readonly inputSize: number;

  constructor(opts: SeqLstmOptions = {}) {
    super();
    checkOptions("seqLstm", opts, SEQ_LSTM_OPTIONS);
    this.inputSize = checkInt("seqLstm", "inputSize", opts.inputSize ?? 28);
    const hidden = checkInt("seqLstm", "hiddenSize", opts.hiddenSize ?? 128);
    const numLayers = checkInt("seqLstm", "numLayers", opts.numLayers ?? 1);
    const dropout = checkProbability("seqLstm", "dropout", opts.dropout ?? 0);
    if ((opts.inChannels ?? 1) !== 1) throw new RangeError(`seqLstm: reads single-channel images row by row; inChannels must be 1, got ${opts.inChannels}`);
    this.lstm = new LSTM(this.inputSize, hidden, { numLayers, dropout, batchFirst: true });
    this.fc = new Linear(hidden, checkInt("seqLstm", "numClasses", opts.numClasses ?? 10));
    if (opts.initWeights === false) noGrad(() => this.parameters().forEach((p) => p.zero_()));
  }

  /** x: [N, T, inputSize], or images [N, 1, T, inputSize] (the channel is dropped). Returns logits [N, C]. */
  forward(x: Tensor): Tensor {
    const seq = this.asSequence(x);
    const [output, [hN]] = this.lstm.forward(seq);
    output.dispose();
    // hN is [numLayers, N, H]: the last layer's state after the last step.
    return this.fc.forward(squeeze(narrow(hN, 0, hN.shape[0] - 1, 1), 0));
  }

  private asSequence(x: Tensor): Tensor {
    if (x.ndim === 4 && x.shape[1] === 1 && x.shape[3] === this.inputSize) return reshape(x, [x.shape[0], x.shape[2], x.shape[3]]);
    if (x.ndim === 3 && x.shape[2] === this.inputSize) return x;
    throw this.layerError(
      `input must be sequences [N, T, ${this.inputSize}] or single-channel images [N, 1, H, ${this.inputSize}] read row by row; got ${formatShape(x.shape)}`,
    );
  }
}

export const seqLstm = (opts: SeqLstmOptions = {}): SeqLSTM => new SeqLSTM(opts);
