// A Fashion-MNIST CNN with batch norm: [CONV 16@5x5 p2 → BATCH NORM → ReLU → POOL 2] →
// [CONV 32@5x5 p2 → BATCH NORM → ReLU → POOL 2] → FC 10 (7·7·32 inputs).

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import { BatchNorm2d } from "../nn/normalization.js";
import { MaxPool2d } from "../nn/pooling.js";
import { Flatten, Linear } from "../nn/linear.js";
import { ReLU } from "../nn/activation.js";
import { checkOptions, optionNames } from "../core/options.js";

export interface FashionCnnOptions {
  /** Default 10. */
  numClasses?: number;
  /** Default 1. */
  inChannels?: number;
}

export const FASHION_CNN_OPTIONS = optionNames<FashionCnnOptions>({ numClasses: 1, inChannels: 1 });

export class FashionCNN extends Module {
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly fc: Sequential;

  constructor(opts: FashionCnnOptions = {}) {
    super();
    checkOptions("FashionCNN", opts, FASHION_CNN_OPTIONS);
    this.layer1 = new Sequential(new Conv2d(opts.inChannels ?? 1, 16, 5, { padding: 2 }), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2));
    this.layer2 = new Sequential(new Conv2d(16, 32, 5, { padding: 2 }), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2));
    this.fc = new Sequential(new Flatten(), new Linear(7 * 7 * 32, opts.numClasses ?? 10));
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.layer2.forward(this.layer1.forward(x)));
  }
}

export function fashionCnn(opts: FashionCnnOptions = {}): FashionCNN {
  checkOptions("fashionCnn", opts, FASHION_CNN_OPTIONS);
  return new FashionCNN(opts);
}
