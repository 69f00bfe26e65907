// LeNet-5 in its modern form (61,706 parameters on 28x28 inputs padded to 32x32 by the first
// convolution): C1 6@5x5 → pool → C3 16@5x5 → pool → F5 120 → F6 84 → 10, with ReLU and max
// pooling. `lenet5({ variant: "1998" })` is the paper's own form (scaled tanh, trainable
// subsampling, the partial C3 connection table, RBF outputs): see lenet5-1998.ts.

import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import { MaxPool2d } from "../nn/pooling.js";
import { Flatten, Linear } from "../nn/linear.js";
import { ReLU } from "../nn/activation.js";
import { checkOptions, optionNames } from "../core/options.js";
import { LENET5_ORIGINAL_OPTIONS, LeNet5Original, type LeNet5OriginalOptions } from "./lenet5-1998.js";

export interface LeNet5ClassOptions {
  numClasses?: number;
  inChannels?: number;
}

export const LENET5_CLASS_OPTIONS = optionNames<LeNet5ClassOptions>({ numClasses: 1, inChannels: 1 });

export class LeNet5 extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;

  constructor(opts: LeNet5ClassOptions = {}) {
    super();
    checkOptions("LeNet5", opts, LENET5_CLASS_OPTIONS);
    this.features = new Sequential(
      new Conv2d(opts.inChannels ?? 1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
      new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
    );
    this.classifier = new Sequential(
      new Flatten(), new Linear(16 * 5 * 5, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, opts.numClasses ?? 10),
    );
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}

export interface LeNet5Options {
  numClasses?: number;
  inChannels?: number;
  /** "modern" (default: ReLU, max pooling, full connections) or the paper's "1998" form. */
  variant?: "modern" | "1998";
}

export const LENET5_OPTIONS = optionNames<LeNet5Options>({ numClasses: 1, inChannels: 1, variant: 1 });

export function lenet5(opts: LeNet5Options & LeNet5OriginalOptions & { variant: "1998" }): LeNet5Original;
export function lenet5(opts?: LeNet5Options & { variant?: "modern" }): LeNet5;
export function lenet5(opts: LeNet5Options & LeNet5OriginalOptions = {}): LeNet5 | LeNet5Original {
  const variant = opts.variant ?? "modern";
  const { variant: _variant, ...rest } = opts;
  if (variant === "1998") {
    checkOptions("lenet5", opts, [...LENET5_ORIGINAL_OPTIONS, "variant"]);
    return new LeNet5Original(rest);
  }
  if (variant !== "modern") throw new RangeError(`lenet5: variant must be "modern" or "1998", got ${JSON.stringify(variant)}`);
  checkOptions("lenet5", opts, LENET5_OPTIONS, { output: 'variant: "1998" (the output layer choice belongs to the paper\'s form)' });
  return new LeNet5(rest);
}
