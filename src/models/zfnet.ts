// ZFNet (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", 2013, Fig. 3):
// AlexNet refined after looking at its filters — a 7x7 stride-2 first layer instead of 11x11
// stride 4, a stride-2 second layer, and one dense stream (no two-GPU split):
//   224 → conv 96@7x7/2 (pad 1) → 110 → ReLU → max 3x3/2 → 55 → contrast norm
//       → conv 256@5x5/2 → 26 → ReLU → max 3x3/2 → 13 → contrast norm
//       → conv 384@3x3 → conv 384@3x3 → conv 256@3x3 → max 3x3/2 → 6x6x256
//       → fc 4096 → fc 4096 → classes (dropout 0.5 before each hidden fc).
// The paper gives the map sizes, not the paddings; padding 1 in conv1 and ceil-mode pooling are
// what reproduce its 110 → 55 and 26 → 13. Its "contrast normalization across feature maps" is
// AlexNet's local response normalisation here (n = 5, k = 2, α = 1e-4, β = 0.75), which adds no
// parameters. Parameters, counted from those layer sizes (weights + biases):
//   conv 14,208 + 614,656 + 885,120 + 1,327,488 + 884,992; fc 37,752,832 + 16,781,312 + 4,097,000
//   = 62,357,608 for 1000 classes.
// Module names follow torchvision's AlexNet (features, avgpool, classifier).

import type { Tensor } from "../tensor/tensor.js";
import { flatten } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { ReLU } from "../nn/activation.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Conv2d, ZOO_ADVICE, classOptions, constructModel, torchDefaultInit, withoutInit, type ZooInitOptions } from "./deferred-init.js";
import { alexnetClassifier, paperLrn } from "./alexnet.js";

export interface ZFNetOptions extends ZooInitOptions {
  numClasses?: number;
  inChannels?: number;
  dropout?: number;
}

export const ZFNET_OPTIONS = optionNames<ZFNetOptions>({ numClasses: 1, inChannels: 1, dropout: 1, initWeights: 1 });

export class ZFNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(opts: Omit<ZFNetOptions, "initWeights"> = {}) {
    super();
    checkOptions("ZFNet", opts, classOptions(ZFNET_OPTIONS), ZOO_ADVICE);
    const pool = (): MaxPool2d => new MaxPool2d(3, { stride: 2, ceilMode: true });
    this.features = new Sequential(
      new Conv2d(opts.inChannels ?? 3, 96, 7, { stride: 2, padding: 1 }), new ReLU(), pool(), paperLrn(),
      new Conv2d(96, 256, 5, { stride: 2 }), new ReLU(), pool(), paperLrn(),
      new Conv2d(256, 384, 3, { padding: 1 }), new ReLU(),
      new Conv2d(384, 384, 3, { padding: 1 }), new ReLU(),
      new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(), pool(),
    );
    this.avgpool = new AdaptiveAvgPool2d([6, 6]);
    this.classifier = alexnetClassifier(opts.numClasses ?? 1000, opts.dropout ?? 0.5);
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(flatten(this.avgpool.forward(this.features.forward(x)), 1));
  }
}

export function zfnet(opts: ZFNetOptions = {}): ZFNet {
  checkOptions("zfnet", opts, ZFNET_OPTIONS, ZOO_ADVICE);
  return constructModel(() => new ZFNet(withoutInit(opts)), torchDefaultInit, opts);
}
