// The course's typical CNN: Conv 8@3x3 valid → ReLU → MaxPool 2 → Conv 16@3x3 → ReLU →
// MaxPool 2 → Flatten → Dense 64 → ReLU → Dropout → Dense 10, on 28x28x1 — 27,562 parameters.
// A Sequential with named layers, as it would be written in PyTorch: nb.nn.fuse (which nb.fit
// applies) runs each conv → relu → pool block as one fused op.

import { Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import { MaxPool2d } from "../nn/pooling.js";
import { Flatten, Linear } from "../nn/linear.js";
import { Dropout } from "../nn/dropout.js";
import { ReLU } from "../nn/activation.js";
import { checkOptions } from "../core/options.js";
import { noGrad } from "../autograd/grad-mode.js";

export interface TypicalCnnOptions {
  numClasses?: number;
  inChannels?: number;
  /** Dropout probability before the last layer (default 0.25). */
  dropout?: number;
  /** false leaves every parameter zero (for a summary, or before loading weights), as the other zoo models. */
  initWeights?: boolean;
}

export class TypicalCNN extends Sequential {
  declare readonly conv1: Conv2d;
  declare readonly relu1: ReLU;
  declare readonly pool1: MaxPool2d;
  declare readonly conv2: Conv2d;
  declare readonly relu2: ReLU;
  declare readonly pool2: MaxPool2d;
  declare readonly flatten: Flatten;
  declare readonly fc1: Linear;
  declare readonly relu3: ReLU;
  declare readonly dropout: Dropout;
  declare readonly fc2: Linear;

  constructor(opts: TypicalCnnOptions = {}) {
    checkOptions("typicalCnn", opts, ["numClasses", "inChannels", "dropout", "initWeights"]);
    super({
      conv1: new Conv2d(opts.inChannels ?? 1, 8, 3),
      relu1: new ReLU(),
      pool1: new MaxPool2d(2),
      conv2: new Conv2d(8, 16, 3),
      relu2: new ReLU(),
      pool2: new MaxPool2d(2),
      flatten: new Flatten(),
      fc1: new Linear(5 * 5 * 16, 64),
      relu3: new ReLU(),
      dropout: new Dropout(opts.dropout ?? 0.25),
      fc2: new Linear(64, opts.numClasses ?? 10),
    });
    if (opts.initWeights === false) noGrad(() => this.parameters().forEach((p) => p.zero_()));
  }
}

export const typicalCnn = (opts: TypicalCnnOptions = {}): TypicalCNN => new TypicalCNN(opts);
