// VGG (Simonyan & Zisserman 2014, configurations A, B, D, E = VGG11/13/16/19) as torchvision builds
// it: `features` (3x3 convolutions with padding 1, optional batch norm, ReLU, 2x2 max pools),
// `avgpool` (adaptive, to 7x7) and `classifier` (4096 → 4096 → classes with dropout), so the
// state-dict keys are torchvision's (`features.0.weight`, `classifier.6.bias`). Parameter counts:
// VGG11 132,863,336, VGG13 133,047,848, VGG16 138,357,544, VGG19 143,667,240; with batch norm
// 132,868,840 / 133,053,736 / 138,365,992 / 143,678,248. The adaptive pool lets inputs of any
// size from 32x32 up in (five 2x2 pools halve 32 down to 1).

import type { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Linear as NnLinear } from "../nn/linear.js";
import { formatShape } from "../core/shape.js";
import { flatten } from "../ops/view.js";
import * as init from "../nn/init.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { BatchNorm2d } from "../nn/normalization.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { ReLU } from "../nn/activation.js";
import { Dropout } from "../nn/dropout.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Conv2d, Linear, ZOO_ADVICE, constructModel, kaimingConvs, type ZooInitOptions } from "./deferred-init.js";

/** Output channels of each 3x3 convolution, "M" for a 2x2 max pool. */
export type VggConfig = readonly (number | "M")[];

export const VGG_CONFIGS: Readonly<Record<"A" | "B" | "D" | "E", VggConfig>> = {
  A: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  B: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  D: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
  E: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
};

export interface VggOptions extends ZooInitOptions {
  numClasses?: number;
  /** Batch norm after every convolution (torchvision's vgg16_bn and friends). */
  batchNorm?: boolean;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
}

export const VGG_OPTIONS = optionNames<VggOptions>({ numClasses: 1, batchNorm: 1, inChannels: 1, dropout: 1, initWeights: 1 });

export interface VggFeaturesOptions {
  /** Batch norm after every convolution. */
  batchNorm?: boolean;
  /** Input channels (default 3). */
  inChannels?: number;
}

export const VGG_FEATURES_OPTIONS = optionNames<VggFeaturesOptions>({ batchNorm: 1, inChannels: 1 });

export interface VGGClassOptions {
  numClasses?: number;
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
  /** Smallest input side the features' pools allow (default 32). */
  minSide?: number;
}

export const VGG_CLASS_OPTIONS = optionNames<VGGClassOptions>({ numClasses: 1, dropout: 1, minSide: 1 });

/** The convolutional part of a VGG configuration, as one Sequential. */
export function vggFeatures(config: VggConfig, opts: VggFeaturesOptions = {}): Sequential {
  checkOptions("vggFeatures", opts, VGG_FEATURES_OPTIONS);
  const layers: Module[] = [];
  let channels = opts.inChannels ?? 3;
  for (const v of config) {
    if (v === "M") {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new Conv2d(channels, v, 3, { padding: 1 }));
    if (opts.batchNorm) layers.push(new BatchNorm2d(v));
    layers.push(new ReLU());
    channels = v;
  }
  return new Sequential(...layers);
}

export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  /** Smallest input side the pools allow: 2^(number of pools). */
  private readonly _minSide: number;

  constructor(features: Sequential, opts: VGGClassOptions = {}) {
    super();
    checkOptions("VGG", opts, VGG_CLASS_OPTIONS, ZOO_ADVICE);
    const p = opts.dropout ?? 0.5;
    this.features = features;
    this.avgpool = new AdaptiveAvgPool2d([7, 7]);
    this.classifier = new Sequential(
      new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(p),
      new Linear(4096, 4096), new ReLU(), new Dropout(p),
      new Linear(4096, opts.numClasses ?? 1000),
    );
    this._minSide = opts.minSide ?? 32;
  }

  forward(x: Tensor): Tensor {
    const [h, w] = x.shape.slice(-2);
    if (x.ndim === 4 && (h < this._minSide || w < this._minSide)) {
      throw this.layerError(`expected an input of at least ${this._minSide}x${this._minSide} (its 2x2 max pools halve the size ${Math.log2(this._minSide)} times), got shape ${formatShape(x.shape)}`);
    }
    const h7 = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(flatten(h7, 1));
  }
}

/** torchvision's VGG initialisation: He-normal convolutions (fan-out) with zero bias, N(0, 0.01) linear layers with zero bias. */
export function vggInit(model: VGG): void {
  noGrad(() => {
    kaimingConvs(model, "zero");
    for (const m of model.classifier.modules()) {
      if (m instanceof NnLinear) {
        init.normal(m.weight, 0, 0.01);
        m.bias?.fill_(0);
      }
    }
  });
}

function build(where: string, config: VggConfig, opts: VggOptions): VGG {
  checkOptions(where, opts, VGG_OPTIONS, { ...ZOO_ADVICE, batch_norm: "batchNorm (torchvision's vgg16_bn is vgg16({ batchNorm: true }))" });
  const pools = config.filter((v) => v === "M").length;
  return constructModel(
    () => new VGG(vggFeatures(config, { batchNorm: opts.batchNorm, inChannels: opts.inChannels }), { numClasses: opts.numClasses, dropout: opts.dropout, minSide: 2 ** pools }),
    vggInit,
    opts,
  );
}

export const vgg11 = (opts: VggOptions = {}): VGG => build("vgg11", VGG_CONFIGS.A, opts);
export const vgg13 = (opts: VggOptions = {}): VGG => build("vgg13", VGG_CONFIGS.B, opts);
export const vgg16 = (opts: VggOptions = {}): VGG => build("vgg16", VGG_CONFIGS.D, opts);
export const vgg19 = (opts: VggOptions = {}): VGG => build("vgg19", VGG_CONFIGS.E, opts);
