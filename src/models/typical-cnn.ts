// The course's typical CNN (seed 000): Conv 8@3x3 valid → MaxPool 2 → Conv 16@3x3 → MaxPool 2 →
// Flatten → Dense 64 → Dropout → Dense 10, on 28x28x1 — 27,562 parameters. ReLU is applied in
// forward (as Keras' Conv2D(activation="relu") does), so the summary has the same 8 rows.

import type { Tensor } from "../tensor/tensor.js";
import { relu } from "../ops/elementwise.js";
import { Module } from "../nn/module.js";
import { Conv2d } from "../nn/conv.js";
import { MaxPool2d } from "../nn/pooling.js";
import { Flatten, Linear } from "../nn/linear.js";
import { Dropout } from "../nn/dropout.js";

export interface TypicalCnnOptions {
  numClasses?: number;
  inChannels?: number;
  /** Dropout probability before the last layer (default 0.25). */
  dropout?: number;
}

export class TypicalCNN extends Module {
  readonly conv1: Conv2d;
  readonly pool1: MaxPool2d;
  readonly conv2: Conv2d;
  readonly pool2: MaxPool2d;
  readonly flatten: Flatten;
  readonly fc1: Linear;
  readonly dropout: Dropout;
  readonly fc2: Linear;

  constructor(opts: TypicalCnnOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 10;
    this.conv1 = new Conv2d(opts.inChannels ?? 1, 8, 3);
    this.pool1 = new MaxPool2d(2);
    this.conv2 = new Conv2d(8, 16, 3);
    this.pool2 = new MaxPool2d(2);
    this.flatten = new Flatten();
    this.fc1 = new Linear(5 * 5 * 16, 64);
    this.dropout = new Dropout(opts.dropout ?? 0.25);
    this.fc2 = new Linear(64, numClasses);
  }

  forward(x: Tensor): Tensor {
    // pool(relu(conv(x))), each block one fused op (see Conv2d.forwardReluMaxPool).
    let h = this.conv1.forwardReluMaxPool(x, this.pool1);
    h = this.conv2.forwardReluMaxPool(h, this.pool2);
    h = relu(this.fc1.forward(this.flatten.forward(h)));
    return this.fc2.forward(this.dropout.forward(h));
  }
}

export const typicalCnn = (opts: TypicalCnnOptions = {}): TypicalCNN => new TypicalCNN(opts);
