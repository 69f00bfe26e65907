// GoogLeNet / Inception v1 (Szegedy et al., "Going Deeper with Convolutions", 2014) as torchvision
// builds it, with torchvision's module names. Inception modules run four branches side by side and
// concatenate them: 1x1; 1x1 reduction → 3x3; 1x1 reduction → "5x5"; 3x3 max pool → 1x1
// projection. Global average pooling replaces the big fully connected layers, so the network has
// 6,624,904 parameters without the auxiliary classifiers (torchvision with aux_logits=False).
//
// Two facts inherited from torchvision, kept so its weights load: the "5x5" branch is a 3x3
// convolution (a slip in the reference port that its pretrained weights depend on), and every
// convolution is followed by batch norm (BasicConv2d), which the 2014 network did not have.
//
// The auxiliary classifiers (on inception4a and inception4d; 6,379,984 more parameters, 13,004,888
// in all) exist when `auxLogits` is true, the default as in torchvision's googlenet(). They run in
// training mode only: then forward returns `{ logits, aux1, aux2 }`; in eval mode it returns the
// logits tensor. `googlenetLoss(out, target)` is the paper's training loss: the main cross entropy
// plus 0.3 × each auxiliary one (plain cross entropy on a tensor).

import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tensor } from "../tensor/creation.js";
import { add, mul, relu } from "../ops/elementwise.js";
import { adaptiveAvgPool2d } from "../ops/pool.js";
import { cat } from "../ops/indexing.js";
import { flatten } from "../ops/view.js";
import { crossEntropy } from "../nn/loss.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { Dropout } from "../nn/dropout.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Linear, ZOO_ADVICE, classOptions, constructModel, truncNormalLayers, withoutInit, type ZooInitOptions } from "./deferred-init.js";
import { BasicConv2d } from "./basic-conv.js";

/** One inception module: four parallel branches concatenated along the channels. */
export class Inception extends Module {
  readonly branch1: BasicConv2d;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new Sequential(new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }));
    // torchvision's "5x5" branch is 3x3 (see the file comment).
    this.branch3 = new Sequential(new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }));
    this.branch4 = new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1),
    );
  }

  forward(x: Tensor): Tensor {
    return cat([this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)], 1);
  }
}

/** Auxiliary classifier: 4x4 average pool → 1x1 conv 128 → fc 1024 → ReLU → dropout 0.7 → fc. */
export class InceptionAux extends Module {
  readonly conv: BasicConv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = new BasicConv2d(inChannels, 128, 1);
    this.fc1 = new Linear(2048, 1024);
    this.fc2 = new Linear(1024, numClasses);
    this.dropout = new Dropout(dropout);
  }

  forward(x: Tensor): Tensor {
    const h = flatten(this.conv.forward(adaptiveAvgPool2d(x, [4, 4])), 1);
    return this.fc2.forward(this.dropout.forward(relu(this.fc1.forward(h))));
  }
}

export interface GoogLeNetOutputs {
  logits: Tensor;
  /** The classifier on inception4a. */
  aux1: Tensor;
  /** The classifier on inception4d. */
  aux2: Tensor;
}

export interface GoogLeNetOptions extends ZooInitOptions {
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Build the two auxiliary classifiers (default true, as torchvision). */
  auxLogits?: boolean;
  /**
   * Map inputs normalised with ImageNet's mean/std to the (x − 0.5)/0.5 scaling the ported
   * Google weights expect (torchvision's transform_input; default false).
   */
  transformInput?: boolean;
  /** Dropout before the final fc (default 0.2). */
  dropout?: number;
  /** Dropout inside the auxiliary classifiers (default 0.7). */
  dropoutAux?: number;
}

export const GOOGLENET_OPTIONS = optionNames<GoogLeNetOptions>({
  numClasses: 1, inChannels: 1, auxLogits: 1, transformInput: 1, dropout: 1, dropoutAux: 1, initWeights: 1,
});

/** x·(std/0.5) + (mean − 0.5)/0.5 per channel: undo ImageNet normalisation into [−1, 1] scaling. */
export function imagenetToUnitRange(x: Tensor): Tensor {
  if (x.ndim !== 4 || x.shape[1] !== 3) throw new RangeError(`transformInput: expected [N, 3, H, W] input, got [${x.shape.join(", ")}]`);
  const opts = { dtype: x.dtype, device: x.device, shape: [1, 3, 1, 1] };
  const scale = tensor([0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5], opts);
  const shift = tensor([(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5], opts);
  return add(mul(x, scale), shift);
}

export class GoogLeNet extends Module {
  readonly conv1: BasicConv2d;
  readonly maxpool1: MaxPool2d;
  readonly conv2: BasicConv2d;
  readonly conv3: BasicConv2d;
  readonly maxpool2: MaxPool2d;
  readonly inception3a: Inception;
  readonly inception3b: Inception;
  readonly maxpool3: MaxPool2d;
  readonly inception4a: Inception;
  readonly inception4b: Inception;
  readonly inception4c: Inception;
  readonly inception4d: Inception;
  readonly inception4e: Inception;
  readonly maxpool4: MaxPool2d;
  readonly inception5a: Inception;
  readonly inception5b: Inception;
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly dropout: Dropout;
  readonly fc: Linear;
  readonly transformInput: boolean;

  constructor(opts: Omit<GoogLeNetOptions, "initWeights"> = {}) {
    super();
    checkOptions("GoogLeNet", opts, classOptions(GOOGLENET_OPTIONS), ZOO_ADVICE);
    const numClasses = opts.numClasses ?? 1000;
    const pool = (k: number): MaxPool2d => new MaxPool2d(k, { stride: 2, ceilMode: true });
    this.conv1 = new BasicConv2d(opts.inChannels ?? 3, 64, 7, { stride: 2, padding: 3 });
    this.maxpool1 = pool(3);
    this.conv2 = new BasicConv2d(64, 64, 1);
    this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
    this.maxpool2 = pool(3);
    this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
    this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
    this.maxpool3 = pool(3);
    this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
    this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
    this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
    this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
    this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
    this.maxpool4 = pool(2);
    this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
    this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
    const aux = opts.auxLogits ?? true;
    this.aux1 = aux ? new InceptionAux(512, numClasses, opts.dropoutAux ?? 0.7) : null;
    this.aux2 = aux ? new InceptionAux(528, numClasses, opts.dropoutAux ?? 0.7) : null;
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.dropout = new Dropout(opts.dropout ?? 0.2);
    this.fc = new Linear(1024, numClasses);
    this.transformInput = opts.transformInput ?? false;
  }

  /** Logits in eval mode (or without aux classifiers); `{ logits, aux1, aux2 }` when training with them. */
  forward(x: Tensor): Tensor | GoogLeNetOutputs {
    let h = this.transformInput ? imagenetToUnitRange(x) : x;
    h = this.maxpool1.forward(this.conv1.forward(h));
    h = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(h)));
    h = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(h)));
    h = this.inception4a.forward(h);
    const withAux = this.training && this.aux1 !== null && this.aux2 !== null;
    const aux1 = withAux ? this.aux1!.forward(h) : null;
    h = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(h)));
    const aux2 = withAux ? this.aux2!.forward(h) : null;
    h = this.maxpool4.forward(this.inception4e.forward(h));
    h = this.inception5b.forward(this.inception5a.forward(h));
    const logits = this.fc.forward(this.dropout.forward(flatten(this.avgpool.forward(h), 1)));
    return aux1 && aux2 ? { logits, aux1, aux2 } : logits;
  }
}

/** torchvision's GoogLeNet initialisation: convolutions and linear layers from N(0, 0.01²) truncated to [−2, 2]. */
export const googlenetInit = (model: Module): void => noGrad(() => truncNormalLayers(model, () => 0.01));

export function googlenet(opts: GoogLeNetOptions = {}): GoogLeNet {
  checkOptions("googlenet", opts, GOOGLENET_OPTIONS, ZOO_ADVICE);
  return constructModel(() => new GoogLeNet(withoutInit(opts)), googlenetInit, opts);
}

/**
 * GoogLeNet's training loss: cross entropy of the logits plus 0.3 × the cross entropy of each
 * auxiliary classifier when `out` carries them (training mode); plain cross entropy otherwise.
 */
export function googlenetLoss(out: Tensor | GoogLeNetOutputs, target: Tensor): Tensor {
  if (out instanceof Tensor) return crossEntropy(out, target);
  if (!out || !(out.logits instanceof Tensor) || !(out.aux1 instanceof Tensor) || !(out.aux2 instanceof Tensor)) {
    throw new TypeError("googlenetLoss: expected the logits tensor or GoogLeNet's training output { logits, aux1, aux2 }");
  }
  const aux = add(crossEntropy(out.aux1, target), crossEntropy(out.aux2, target));
  return add(crossEntropy(out.logits, target), mul(aux, 0.3));
}
