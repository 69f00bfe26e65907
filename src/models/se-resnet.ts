// SE-ResNet-50 (Hu et al., "Squeeze-and-Excitation Networks", ILSVRC 2017's winning family): every
// bottleneck rescales its residual branch's channels, after bn3 and before the shortcut sum, by
// gates computed from the branch itself: squeeze (global average pool) → fc1 (C → C/16) → ReLU →
// fc2 (C/16 → C) → sigmoid. The two fully connected layers are 1x1 convolutions with bias, named
// as timm's seresnet50 (`layer1.0.se.fc1.weight`), whose other keys are torchvision's ResNet-50's.
//
// Parameters: ResNet-50's 25,557,032 plus, per block with C output channels, 2·C·C/16 + C/16 + C:
// 3·8,464 + 4·33,312 + 6·132,160 + 3·526,464 = 2,530,992, in all 28,088,024 — the paper's 28.09M.

import type { Tensor } from "../tensor/tensor.js";
import { mul, relu, sigmoid } from "../ops/elementwise.js";
import { adaptiveAvgPool2d } from "../ops/pool.js";
import { Module } from "../nn/module.js";
import { Conv2d } from "./deferred-init.js";
import { Bottleneck, ResNet, buildResNet, type ResNetOptions } from "./resnet.js";

/** Channel gates from global context: x · sigmoid(fc2(relu(fc1(mean over H, W of x)))). */
export class SqueezeExcitation extends Module {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;

  constructor(channels: number, reduction = 16) {
    super();
    const hidden = Math.max(1, Math.floor(channels / reduction));
    this.fc1 = new Conv2d(channels, hidden, 1);
    this.fc2 = new Conv2d(hidden, channels, 1);
  }

  forward(x: Tensor): Tensor {
    const squeezed = adaptiveAvgPool2d(x, 1);
    const gates = sigmoid(this.fc2.forward(relu(this.fc1.forward(squeezed))));
    return mul(x, gates);
  }
}

/** A ResNet bottleneck whose residual branch is recalibrated by squeeze-and-excitation (reduction 16). */
export class SEBottleneck extends Bottleneck {
  /** The bottleneck's forward, so the same conv → batch norm chains (nb.nn.fuse). */
  static override readonly fusableRuns = Bottleneck.fusableRuns;
  protected override makeAttention(channels: number): SqueezeExcitation {
    return new SqueezeExcitation(channels, 16);
  }
}

export const seResnet50 = (opts: ResNetOptions = {}): ResNet => buildResNet("seResnet50", SEBottleneck, [3, 4, 6, 3], opts);
