// A ResNet with a Feature Pyramid Network on top (torchvision's BackboneWithFPN and
// _resnet_fpn_extractor): `body` is the ResNet without avgpool/fc returning layer1..layer4 (as
// IntermediateLayerGetter, named "0".."3"), `fpn` turns them into 256-channel maps "0".."3" +
// "pool". State-dict keys read backbone.body.conv1.weight, backbone.body.layer1.0.conv1.weight,
// backbone.fpn.inner_blocks.0.0.weight as torchvision's.

import { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { BatchNorm2d } from "../nn/normalization.js";
import { relu } from "../ops/elementwise.js";
import type { ResNet } from "../models/resnet.js";
import { FeaturePyramidNetwork, LastLevelMaxPool } from "./feature-pyramid-network.js";
import { freezeBatchNorms } from "./frozen-batch-norm.js";

/** The ResNet's stem and stages (IntermediateLayerGetter over layer1..layer4): a map of the returned stages' outputs. */
export class ResNetBody extends Module {
  readonly conv1: Module;
  readonly bn1: Module;
  readonly relu: Module;
  readonly maxpool: Module;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  private readonly _returned: number[];

  constructor(resnet: ResNet, returnedLayers: readonly number[] = [1, 2, 3, 4]) {
    super();
    this.conv1 = resnet.conv1;
    this.bn1 = resnet.bn1;
    this.relu = resnet.relu;
    this.maxpool = resnet.maxpool;
    this.layer1 = resnet.layer1;
    this.layer2 = resnet.layer2;
    this.layer3 = resnet.layer3;
    this.layer4 = resnet.layer4;
    this._returned = [...returnedLayers];
  }

  forward(x: Tensor): Map<string, Tensor> {
    let h = this.maxpool.forward(relu(this.bn1.forward(this.conv1.forward(x)))) as Tensor;
    const out = new Map<string, Tensor>();
    const stages = [this.layer1, this.layer2, this.layer3, this.layer4];
    const last = Math.max(...this._returned);
    for (let i = 1; i <= last; i++) {
      h = stages[i - 1].forward(h) as Tensor;
      const at = this._returned.indexOf(i);
      if (at >= 0) out.set(String(at), h);
    }
    return out;
  }
}

export interface ResNetFpnOptions {
  /** Stages trained, counted from the top: 0..5 (5 = all, with bn1); default 3 (layer2..layer4). */
  trainableLayers?: number;
  /** Stages whose outputs feed the FPN (default [1, 2, 3, 4]). */
  returnedLayers?: readonly number[];
  /** FrozenBatchNorm2d in the body (default true, as torchvision's pretrained detectors). */
  frozenBatchNorm?: boolean;
  /** FPN channels (default 256). */
  outChannels?: number;
}

export class BackboneWithFPN extends Module {
  readonly body: ResNetBody;
  readonly fpn: FeaturePyramidNetwork;
  readonly outChannels: number;

  constructor(resnet: ResNet, opts: ResNetFpnOptions = {}) {
    super();
    const trainable = opts.trainableLayers ?? 3;
    if (!Number.isInteger(trainable) || trainable < 0 || trainable > 5) {
      throw new RangeError(`BackboneWithFPN: trainableLayers must be an integer in [0, 5], got ${trainable}`);
    }
    const returned = opts.returnedLayers ?? [1, 2, 3, 4];
    if (returned.length === 0 || returned.some((l) => !Number.isInteger(l) || l < 1 || l > 4)) {
      throw new RangeError(`BackboneWithFPN: each returned layer should be in [1, 4], got ${JSON.stringify(returned)}`);
    }
    if (opts.frozenBatchNorm ?? true) freezeBatchNorms(resnet, (m) => m instanceof BatchNorm2d);
    this.body = new ResNetBody(resnet, returned);
    // Freeze all but the top `trainable` stages, as torchvision does.
    const toTrain = ["layer4", "layer3", "layer2", "layer1", "conv1"].slice(0, trainable);
    if (trainable === 5) toTrain.push("bn1");
    for (const [name, p] of this.body.namedParameters()) {
      if (!toTrain.some((l) => name.startsWith(l))) p.requiresGrad = false;
    }
    // layer4's output channels / 8 = layer1's (64 for ResNet-18/34, 256 for ResNet-50+).
    const stage2 = resnet.fc.weight.shape[1] / 8;
    this.fpn = new FeaturePyramidNetwork(returned.map((i) => stage2 * 2 ** (i - 1)), opts.outChannels ?? 256, new LastLevelMaxPool());
    this.outChannels = opts.outChannels ?? 256;
  }

  forward(x: Tensor): Map<string, Tensor> {
    return this.fpn.forward(this.body.forward(x));
  }
}
