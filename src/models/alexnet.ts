// AlexNet (Krizhevsky, Sutskever & Hinton 2012). The default is torchvision's single-stream form
// (64/192/384/256/256 filters, no response normalisation): 61,100,840 parameters, state-dict keys
// equal to torchvision's. `variant: "original"` is the paper's network: 96/256/384/384/256
// filters, local response normalisation after the first two ReLUs (n = 5, k = 2, α = 1e-4,
// β = 0.75), and the two-GPU split as groups=2 in conv2, conv4 and conv5 (conv3 and the fully
// connected layers see both halves): 60,965,224 parameters, on 3x227x227 inputs (227 gives the
// paper's 55x55 first maps). Both end in an adaptive 6x6 average pool, so other sizes work too.

import type { Tensor } from "../tensor/tensor.js";
import { flatten } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { LocalResponseNorm } from "../nn/normalization.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { ReLU } from "../nn/activation.js";
import { Dropout } from "../nn/dropout.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Conv2d, Linear, ZOO_ADVICE, classOptions, constructModel, torchDefaultInit, withoutInit, type ZooInitOptions } from "./deferred-init.js";

export interface AlexNetOptions extends ZooInitOptions {
  numClasses?: number;
  /** "torchvision" (default) or the 2012 paper's "original" with LRN and grouped convolutions. */
  variant?: "torchvision" | "original";
  /** Input channels (default 3). */
  inChannels?: number;
  /** Dropout probability before the two hidden fully connected layers (default 0.5). */
  dropout?: number;
}

export const ALEXNET_OPTIONS = optionNames<AlexNetOptions>({ numClasses: 1, variant: 1, inChannels: 1, dropout: 1, initWeights: 1 });

/**
 * The paper's response normalisation, b = a / (k + α·Σa²)^β over n = 5 neighbouring maps. torch's
 * LocalResponseNorm divides α by n, so the paper's α = 1e-4 is alpha = 5e-4 here.
 */
export const paperLrn = (): LocalResponseNorm => new LocalResponseNorm(5, { alpha: 5 * 1e-4, beta: 0.75, k: 2 });

/** Dropout → 9216→4096 → ReLU → dropout → 4096→4096 → ReLU → 4096→classes (torchvision's indices 1, 4, 6). */
export function alexnetClassifier(numClasses: number, dropout: number): Sequential {
  return new Sequential(
    new Dropout(dropout), new Linear(256 * 6 * 6, 4096), new ReLU(),
    new Dropout(dropout), new Linear(4096, 4096), new ReLU(),
    new Linear(4096, numClasses),
  );
}

function torchvisionFeatures(c: number): Sequential {
  return new Sequential(
    new Conv2d(c, 64, 11, { stride: 4, padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(64, 192, 5, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(192, 384, 3, { padding: 1 }), new ReLU(),
    new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(),
    new Conv2d(256, 256, 3, { padding: 1 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
  );
}

function originalFeatures(c: number): Sequential {
  return new Sequential(
    new Conv2d(c, 96, 11, { stride: 4 }), new ReLU(), paperLrn(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(96, 256, 5, { padding: 2, groups: 2 }), new ReLU(), paperLrn(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(256, 384, 3, { padding: 1 }), new ReLU(),
    new Conv2d(384, 384, 3, { padding: 1, groups: 2 }), new ReLU(),
    new Conv2d(384, 256, 3, { padding: 1, groups: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
  );
}

export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(opts: Omit<AlexNetOptions, "initWeights"> = {}) {
    super();
    checkOptions("AlexNet", opts, classOptions(ALEXNET_OPTIONS), ZOO_ADVICE);
    const c = opts.inChannels ?? 3;
    this.features = (opts.variant ?? "torchvision") === "original" ? originalFeatures(c) : torchvisionFeatures(c);
    this.avgpool = new AdaptiveAvgPool2d([6, 6]);
    this.classifier = alexnetClassifier(opts.numClasses ?? 1000, opts.dropout ?? 0.5);
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(flatten(this.avgpool.forward(this.features.forward(x)), 1));
  }
}

export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  checkOptions("alexnet", opts, ALEXNET_OPTIONS, ZOO_ADVICE);
  const variant = opts.variant ?? "torchvision";
  if (variant !== "torchvision" && variant !== "original") {
    throw new RangeError(`alexnet: variant must be "torchvision" or "original", got ${JSON.stringify(variant)}`);
  }
  return constructModel(() => new AlexNet(withoutInit(opts)), torchDefaultInit, opts);
}
