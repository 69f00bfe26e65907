// Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", 2015)
// as torchvision builds it, with its module names (Conv2d_1a_3x3 … Mixed_7c, AuxLogits). Large
// convolutions are factorised: a 5x5 into two 3x3s, 7x7s into 1x7 then 7x1, and the last blocks
// widen with parallel 1x3 / 3x1 branches; grid reductions run a stride-2 convolution beside a
// stride-2 pool. 23,834,568 parameters without the auxiliary classifier, 27,161,264 with it.
//
// The auxiliary classifier (on Mixed_6e) exists when `auxLogits` is true (the default, as
// torchvision) and runs in training mode only: forward then returns `{ logits, aux }`, otherwise
// the logits tensor. `inceptionV3Loss` adds 0.4 × the auxiliary cross entropy, as torchvision's
// reference training recipe does. Inputs must be at least 75x75 (299x299 is the design size),
// 299x299 in training mode with the auxiliary classifier (its 5x5/3 pool and 5x5 convolution need
// Mixed_6e's 17x17 grid), as in torchvision.

import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { formatShape } from "../core/shape.js";
import { add, mul } from "../ops/elementwise.js";
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from "../ops/pool.js";
import { cat } from "../ops/indexing.js";
import { flatten } from "../ops/view.js";
import { crossEntropy } from "../nn/loss.js";
import { Module } from "../nn/module.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { Dropout } from "../nn/dropout.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Linear, ZOO_ADVICE, classOptions, constructModel, truncNormalLayers, withoutInit, type ZooInitOptions } from "./deferred-init.js";
import { BasicConv2d } from "./basic-conv.js";
import { imagenetToUnitRange } from "./googlenet.js";

/** 3x3 average pool, stride 1, padding 1 (zeros counted), the pooling branch of A, C and E. */
const poolBranch = (x: Tensor): Tensor => avgPool2d(x, 3, { stride: 1, padding: 1 });

/** 35x35 module: 1x1 | 1x1 → 5x5 | 1x1 → 3x3 → 3x3 | pool → 1x1. */
export class InceptionA extends Module {
  readonly branch1x1: BasicConv2d;
  readonly branch5x5_1: BasicConv2d;
  readonly branch5x5_2: BasicConv2d;
  readonly branch3x3dbl_1: BasicConv2d;
  readonly branch3x3dbl_2: BasicConv2d;
  readonly branch3x3dbl_3: BasicConv2d;
  readonly branch_pool: BasicConv2d;

  constructor(inChannels: number, poolFeatures: number) {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 64, 1);
    this.branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
    this.branch5x5_2 = new BasicConv2d(48, 64, 5, { padding: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { padding: 1 });
    this.branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
  }

  forward(x: Tensor): Tensor {
    const b5 = this.branch5x5_2.forward(this.branch5x5_1.forward(x));
    const b3 = this.branch3x3dbl_3.forward(this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x)));
    return cat([this.branch1x1.forward(x), b5, b3, this.branch_pool.forward(poolBranch(x))], 1);
  }
}

/** Grid reduction 35 → 17: 3x3/2 | 1x1 → 3x3 → 3x3/2 | max pool 3x3/2. */
export class InceptionB extends Module {
  readonly branch3x3: BasicConv2d;
  readonly branch3x3dbl_1: BasicConv2d;
  readonly branch3x3dbl_2: BasicConv2d;
  readonly branch3x3dbl_3: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3 = new BasicConv2d(inChannels, 384, 3, { stride: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    const b3 = this.branch3x3dbl_3.forward(this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x)));
    return cat([this.branch3x3.forward(x), b3, maxPool2d(x, 3, { stride: 2 })], 1);
  }
}

/** 17x17 module with factorised 7x7s: 1x1 | 1x1 → 1x7 → 7x1 | 1x1 → (7x1 → 1x7)×2 | pool → 1x1. */
export class InceptionC extends Module {
  readonly branch1x1: BasicConv2d;
  readonly branch7x7_1: BasicConv2d;
  readonly branch7x7_2: BasicConv2d;
  readonly branch7x7_3: BasicConv2d;
  readonly branch7x7dbl_1: BasicConv2d;
  readonly branch7x7dbl_2: BasicConv2d;
  readonly branch7x7dbl_3: BasicConv2d;
  readonly branch7x7dbl_4: BasicConv2d;
  readonly branch7x7dbl_5: BasicConv2d;
  readonly branch_pool: BasicConv2d;

  constructor(inChannels: number, channels7x7: number) {
    super();
    const c7 = channels7x7;
    const row = { padding: [0, 3] }, col = { padding: [3, 0] };
    this.branch1x1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7_2 = new BasicConv2d(c7, c7, [1, 7], row);
    this.branch7x7_3 = new BasicConv2d(c7, 192, [7, 1], col);
    this.branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7dbl_2 = new BasicConv2d(c7, c7, [7, 1], col);
    this.branch7x7dbl_3 = new BasicConv2d(c7, c7, [1, 7], row);
    this.branch7x7dbl_4 = new BasicConv2d(c7, c7, [7, 1], col);
    this.branch7x7dbl_5 = new BasicConv2d(c7, 192, [1, 7], row);
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    const b7 = this.branch7x7_3.forward(this.branch7x7_2.forward(this.branch7x7_1.forward(x)));
    let d = this.branch7x7dbl_1.forward(x);
    for (const m of [this.branch7x7dbl_2, this.branch7x7dbl_3, this.branch7x7dbl_4, this.branch7x7dbl_5]) d = m.forward(d);
    return cat([this.branch1x1.forward(x), b7, d, this.branch_pool.forward(poolBranch(x))], 1);
  }
}

/** Grid reduction 17 → 8: 1x1 → 3x3/2 | 1x1 → 1x7 → 7x1 → 3x3/2 | max pool 3x3/2. */
export class InceptionD extends Module {
  readonly branch3x3_1: BasicConv2d;
  readonly branch3x3_2: BasicConv2d;
  readonly branch7x7x3_1: BasicConv2d;
  readonly branch7x7x3_2: BasicConv2d;
  readonly branch7x7x3_3: BasicConv2d;
  readonly branch7x7x3_4: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch3x3_2 = new BasicConv2d(192, 320, 3, { stride: 2 });
    this.branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7x3_2 = new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] });
    this.branch7x7x3_3 = new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7x3_4 = new BasicConv2d(192, 192, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    const b3 = this.branch3x3_2.forward(this.branch3x3_1.forward(x));
    let b7 = this.branch7x7x3_1.forward(x);
    for (const m of [this.branch7x7x3_2, this.branch7x7x3_3, this.branch7x7x3_4]) b7 = m.forward(b7);
    return cat([b3, b7, maxPool2d(x, 3, { stride: 2 })], 1);
  }
}

/** 8x8 module with expanded filter banks: 1x1 | 1x1 → (1x3 ‖ 3x1) | 1x1 → 3x3 → (1x3 ‖ 3x1) | pool → 1x1. */
export class InceptionE extends Module {
  readonly branch1x1: BasicConv2d;
  readonly branch3x3_1: BasicConv2d;
  readonly branch3x3_2a: BasicConv2d;
  readonly branch3x3_2b: BasicConv2d;
  readonly branch3x3dbl_1: BasicConv2d;
  readonly branch3x3dbl_2: BasicConv2d;
  readonly branch3x3dbl_3a: BasicConv2d;
  readonly branch3x3dbl_3b: BasicConv2d;
  readonly branch_pool: BasicConv2d;

  constructor(inChannels: number) {
    super();
    const row = { padding: [0, 1] }, col = { padding: [1, 0] };
    this.branch1x1 = new BasicConv2d(inChannels, 320, 1);
    this.branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
    this.branch3x3_2a = new BasicConv2d(384, 384, [1, 3], row);
    this.branch3x3_2b = new BasicConv2d(384, 384, [3, 1], col);
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
    this.branch3x3dbl_2 = new BasicConv2d(448, 384, 3, { padding: 1 });
    this.branch3x3dbl_3a = new BasicConv2d(384, 384, [1, 3], row);
    this.branch3x3dbl_3b = new BasicConv2d(384, 384, [3, 1], col);
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    const s = this.branch3x3_1.forward(x);
    const b3 = cat([this.branch3x3_2a.forward(s), this.branch3x3_2b.forward(s)], 1);
    const d = this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x));
    const b3dbl = cat([this.branch3x3dbl_3a.forward(d), this.branch3x3dbl_3b.forward(d)], 1);
    return cat([this.branch1x1.forward(x), b3, b3dbl, this.branch_pool.forward(poolBranch(x))], 1);
  }
}

/** Auxiliary classifier on the 17x17 grid: 5x5/3 average pool → 1x1 conv 128 → 5x5 conv 768 → global pool → fc. */
export class InceptionAux extends Module {
  readonly conv0: BasicConv2d;
  readonly conv1: BasicConv2d;
  readonly fc: Linear;

  constructor(inChannels: number, numClasses: number) {
    super();
    this.conv0 = new BasicConv2d(inChannels, 128, 1);
    this.conv1 = new BasicConv2d(128, 768, 5);
    this.fc = new Linear(768, numClasses);
  }

  forward(x: Tensor): Tensor {
    const h = this.conv1.forward(this.conv0.forward(avgPool2d(x, 5, { stride: 3 })));
    return this.fc.forward(flatten(adaptiveAvgPool2d(h, [1, 1]), 1));
  }
}

export interface InceptionV3Outputs {
  logits: Tensor;
  /** The auxiliary classifier on Mixed_6e. */
  aux: Tensor;
}

export interface InceptionV3Options extends ZooInitOptions {
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Build the auxiliary classifier (default true, as torchvision). */
  auxLogits?: boolean;
  /** Rescale ImageNet-normalised inputs to the [−1, 1] range the Google weights expect (default false). */
  transformInput?: boolean;
  /** Dropout before fc (default 0.5). */
  dropout?: number;
}

export const INCEPTION_V3_OPTIONS = optionNames<InceptionV3Options>({
  numClasses: 1, inChannels: 1, auxLogits: 1, transformInput: 1, dropout: 1, initWeights: 1,
});

export class Inception3 extends Module {
  readonly Conv2d_1a_3x3: BasicConv2d;
  readonly Conv2d_2a_3x3: BasicConv2d;
  readonly Conv2d_2b_3x3: BasicConv2d;
  readonly maxpool1: MaxPool2d;
  readonly Conv2d_3b_1x1: BasicConv2d;
  readonly Conv2d_4a_3x3: BasicConv2d;
  readonly maxpool2: MaxPool2d;
  readonly Mixed_5b: InceptionA;
  readonly Mixed_5c: InceptionA;
  readonly Mixed_5d: InceptionA;
  readonly Mixed_6a: InceptionB;
  readonly Mixed_6b: InceptionC;
  readonly Mixed_6c: InceptionC;
  readonly Mixed_6d: InceptionC;
  readonly Mixed_6e: InceptionC;
  readonly AuxLogits: InceptionAux | null;
  readonly Mixed_7a: InceptionD;
  readonly Mixed_7b: InceptionE;
  readonly Mixed_7c: InceptionE;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly dropout: Dropout;
  readonly fc: Linear;
  readonly transformInput: boolean;

  constructor(opts: Omit<InceptionV3Options, "initWeights"> = {}) {
    super();
    checkOptions("Inception3", opts, classOptions(INCEPTION_V3_OPTIONS), ZOO_ADVICE);
    const numClasses = opts.numClasses ?? 1000;
    this.Conv2d_1a_3x3 = new BasicConv2d(opts.inChannels ?? 3, 32, 3, { stride: 2 });
    this.Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
    this.Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, { padding: 1 });
    this.maxpool1 = new MaxPool2d(3, { stride: 2 });
    this.Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
    this.Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
    this.maxpool2 = new MaxPool2d(3, { stride: 2 });
    this.Mixed_5b = new InceptionA(192, 32);
    this.Mixed_5c = new InceptionA(256, 64);
    this.Mixed_5d = new InceptionA(288, 64);
    this.Mixed_6a = new InceptionB(288);
    this.Mixed_6b = new InceptionC(768, 128);
    this.Mixed_6c = new InceptionC(768, 160);
    this.Mixed_6d = new InceptionC(768, 160);
    this.Mixed_6e = new InceptionC(768, 192);
    this.AuxLogits = (opts.auxLogits ?? true) ? new InceptionAux(768, numClasses) : null;
    this.Mixed_7a = new InceptionD(768);
    this.Mixed_7b = new InceptionE(1280);
    this.Mixed_7c = new InceptionE(2048);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.dropout = new Dropout(opts.dropout ?? 0.5);
    this.fc = new Linear(2048, numClasses);
    this.transformInput = opts.transformInput ?? false;
  }

  /** Logits in eval mode (or without the aux classifier); `{ logits, aux }` when training with it. */
  forward(x: Tensor): Tensor | InceptionV3Outputs {
    if (x.ndim === 4 && (x.shape[2] < 75 || x.shape[3] < 75)) {
      throw this.layerError(`expected an input of at least 75x75 (299x299 is the design size), got shape ${formatShape(x.shape)}`);
    }
    // The aux classifier's 5x5/3 pool then 5x5 convolution need a 17x17 grid at Mixed_6e: 299x299 inputs.
    if (this.training && this.AuxLogits && x.ndim === 4 && (x.shape[2] < 299 || x.shape[3] < 299)) {
      throw this.layerError(`in training mode the auxiliary classifier needs an input of at least 299x299, got shape ${formatShape(x.shape)}; build with auxLogits: false for smaller inputs`);
    }
    let h = this.transformInput ? imagenetToUnitRange(x) : x;
    h = this.Conv2d_2b_3x3.forward(this.Conv2d_2a_3x3.forward(this.Conv2d_1a_3x3.forward(h)));
    h = this.Conv2d_4a_3x3.forward(this.Conv2d_3b_1x1.forward(this.maxpool1.forward(h)));
    h = this.maxpool2.forward(h);
    for (const m of [this.Mixed_5b, this.Mixed_5c, this.Mixed_5d, this.Mixed_6a, this.Mixed_6b, this.Mixed_6c, this.Mixed_6d, this.Mixed_6e]) {
      h = m.forward(h);
    }
    const aux = this.training && this.AuxLogits ? this.AuxLogits.forward(h) : null;
    h = this.Mixed_7c.forward(this.Mixed_7b.forward(this.Mixed_7a.forward(h)));
    const logits = this.fc.forward(flatten(this.dropout.forward(this.avgpool.forward(h)), 1));
    return aux ? { logits, aux } : logits;
  }
}

/**
 * torchvision's Inception v3 initialisation: truncated normal with std 0.1, 0.001 for the auxiliary
 * fc. (torchvision also marks the auxiliary 5x5 block with std 0.01, but on the BasicConv2d, which
 * its loop never visits, so that convolution gets 0.1 as well — reproduced here.)
 */
export function inceptionV3Init(model: Inception3): void {
  const auxFc = model.AuxLogits?.fc;
  noGrad(() => truncNormalLayers(model, (m) => (m === auxFc ? 0.001 : 0.1)));
}

export function inceptionV3(opts: InceptionV3Options = {}): Inception3 {
  checkOptions("inceptionV3", opts, INCEPTION_V3_OPTIONS, ZOO_ADVICE);
  return constructModel(() => new Inception3(withoutInit(opts)), inceptionV3Init, opts);
}

/** Inception v3's training loss: cross entropy plus 0.4 × the auxiliary classifier's when `out` carries it. */
export function inceptionV3Loss(out: Tensor | InceptionV3Outputs, target: Tensor): Tensor {
  if (out instanceof Tensor) return crossEntropy(out, target);
  if (!out || !(out.logits instanceof Tensor) || !(out.aux instanceof Tensor)) {
    throw new TypeError("inceptionV3Loss: expected the logits tensor or Inception v3's training output { logits, aux }");
  }
  return add(crossEntropy(out.logits, target), mul(crossEntropy(out.aux, target), 0.4));
}
