// The CNN of the classic pipeline: warped regions [N, 3, S, S] → features. R-CNN takes AlexNet
// pre-trained on ImageNet and fine-tunes it on warped proposals; with no ImageNet weights offline
// this small network (three conv–ReLU–max-pool blocks, "pool5", one fully connected "fc6") is
// trained from scratch on the warped regions instead, as an (N + 1)-way classifier (background
// included). The SVMs read fc6; the box regressors read pool5, as in the paper.

import { Tensor } from "../../tensor/tensor.js";
import { Module } from "../../nn/module.js";
import { Conv2d } from "../../nn/conv.js";
import { Linear } from "../../nn/linear.js";
import { maxPool2d } from "../../ops/pool.js";
import { relu, sub } from "../../ops/elementwise.js";
import { flatten } from "../../ops/view.js";
import { formatShape } from "../../core/shape.js";

export interface RegionFeatures {
  /** [N, C·(S/8)²]: the last conv block, flattened. */
  pool5: Tensor;
  /** [N, hidden] after ReLU. */
  fc6: Tensor;
}

export class RegionCNN extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d;
  readonly fc6: Linear;
  readonly classifier: Linear;

  /** `size`: side of the warped input (a multiple of 8); `numClasses` includes the background. */
  constructor(readonly size: number, readonly numClasses: number, channels: readonly [number, number, number] = [16, 32, 64], hidden = 128) {
    super();
    if (!Number.isInteger(size) || size < 8 || size % 8 !== 0) throw new RangeError(`RegionCNN: size must be a multiple of 8, got ${size}`);
    this.conv1 = new Conv2d(3, channels[0], 3, { padding: 1 });
    this.conv2 = new Conv2d(channels[0], channels[1], 3, { padding: 1 });
    this.conv3 = new Conv2d(channels[1], channels[2], 3, { padding: 1 });
    this.fc6 = new Linear(channels[2] * (size / 8) ** 2, hidden);
    this.classifier = new Linear(hidden, numClasses);
  }

  features(x: Tensor): RegionFeatures {
    if (x.ndim !== 4 || x.shape[1] !== 3 || x.shape[2] !== this.size || x.shape[3] !== this.size) {
      throw new RangeError(`RegionCNN: input must be [N, 3, ${this.size}, ${this.size}] warped regions, got ${formatShape(x.shape)}`);
    }
    let h = sub(x, 0.5); // images are in [0, 1]; centre them
    for (const conv of [this.conv1, this.conv2, this.conv3]) h = maxPool2d(relu(conv.forward(h)), 2);
    const pool5 = flatten(h, 1);
    return { pool5, fc6: relu(this.fc6.forward(pool5)) };
  }

  /** Class logits [N, numClasses] (the fine-tuning objective). */
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features(x).fc6);
  }
}
