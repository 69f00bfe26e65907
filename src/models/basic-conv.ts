// BasicConv2d: convolution without bias → batch norm (eps 0.001) → ReLU, the unit GoogLeNet and
// Inception v3 are assembled from (torchvision's names: `conv`, `bn`).

import type { Tensor } from "../tensor/tensor.js";
import { relu } from "../ops/elementwise.js";
import { Module } from "../nn/module.js";
import { BatchNorm2d } from "../nn/normalization.js";
import type { ConvOptions } from "../nn/conv.js";
import type { IntOrTuple } from "../nn/checks.js";
import { Conv2d } from "./deferred-init.js";

export class BasicConv2d extends Module {
  /** forward's conv → batch norm chain, for nb.nn.fuse (which folds the batch norm in eval mode). */
  static readonly fusableRuns = [["conv", "bn"]];
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: Omit<ConvOptions, "bias"> = {}) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, { ...opts, bias: false });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: Tensor): Tensor {
    return relu(this.bn.forward(this.conv.forward(x)));
  }
}
