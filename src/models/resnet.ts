// ResNet (He et al. 2015) as torchvision builds it ("v1.5": a bottleneck block downsamples in its
// 3x3 convolution), with torchvision's module names so state dicts load key for key:
// conv1 7x7/2 → bn1 → relu → maxpool 3x3/2 → layer1..layer4 → avgpool (global) → fc.
// Shortcuts are identities, or projections (1x1 convolution + batch norm, `downsample`) where the
// shape changes. Parameter counts equal torchvision's: resnet18 11,689,512, resnet34 21,797,672,
// resnet50 25,557,032, resnet101 44,549,160, resnet152 60,192,808, wide_resnet50_2 68,883,240.
// Any input of at least 1x1 works (global average pooling), e.g. CIFAR's 32x32.

import type { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { add, relu } from "../ops/elementwise.js";
import { flatten } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { BatchNorm2d } from "../nn/normalization.js";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.js";
import { ReLU } from "../nn/activation.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Conv2d, Linear, ZOO_ADVICE, classOptions, constructModel, kaimingConvs, type ZooInitOptions } from "./deferred-init.js";

/** 3x3 convolution, padding 1 (= dilation), no bias: batch norm follows. */
const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, dilation, bias: false });

/** 1x1 convolution, no bias. */
const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });

export interface BlockOptions {
  stride?: number;
  /** The projection shortcut, when the block changes the shape. */
  downsample?: Module | null;
  groups?: number;
  /** Channels per group of the 3x3 convolution, as a multiple of 64 (64 = plain ResNet, 128 = wide). */
  baseWidth?: number;
  dilation?: number;
}

export const BLOCK_OPTIONS = optionNames<BlockOptions>({ stride: 1, downsample: 1, groups: 1, baseWidth: 1, dilation: 1 });

/** Two 3x3 convolutions (ResNet-18/34): out = relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x)). */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  /** Runs forward calls as chains, for nb.nn.fuse (which folds each batch norm into its conv in eval mode). */
  static readonly fusableRuns = [["conv1", "bn1"], ["conv2", "bn2"]];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Module | null;
  readonly stride: number;

  constructor(inPlanes: number, planes: number, opts: BlockOptions = {}) {
    super();
    checkOptions("BasicBlock", opts, BLOCK_OPTIONS);
    if ((opts.groups ?? 1) !== 1 || (opts.baseWidth ?? 64) !== 64) throw new RangeError("BasicBlock: only supports groups=1 and baseWidth=64");
    if ((opts.dilation ?? 1) > 1) throw new RangeError("BasicBlock: dilation > 1 is not supported");
    const stride = opts.stride ?? 1;
    this.conv1 = conv3x3(inPlanes, planes, stride);
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = opts.downsample ?? null;
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    let out = relu(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return relu(add(out, identity));
  }
}

/**
 * 1x1 reduce → 3x3 (carrying the stride) → 1x1 expand by 4 (ResNet-50 and deeper):
 * out = relu(bn3(conv3(...)) + shortcut(x)).
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  /** Runs forward calls as chains, for nb.nn.fuse (which folds each batch norm into its conv in eval mode). */
  static readonly fusableRuns = [["conv1", "bn1"], ["conv2", "bn2"], ["conv3", "bn3"]];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  /** Channel attention on the residual branch after bn3 (SE-ResNet's squeeze-and-excitation); null here. */
  readonly se: Module | null;
  readonly relu: ReLU;
  readonly downsample: Module | null;
  readonly stride: number;

  constructor(inPlanes: number, planes: number, opts: BlockOptions = {}) {
    super();
    checkOptions(new.target.name, opts, BLOCK_OPTIONS);
    const groups = opts.groups ?? 1;
    const width = Math.floor(planes * ((opts.baseWidth ?? 64) / 64)) * groups;
    const stride = opts.stride ?? 1;
    this.conv1 = conv1x1(inPlanes, width);
    this.bn1 = new BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride, groups, opts.dilation ?? 1);
    this.bn2 = new BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new BatchNorm2d(planes * Bottleneck.expansion);
    this.se = this.makeAttention(planes * Bottleneck.expansion);
    this.relu = new ReLU();
    this.downsample = opts.downsample ?? null;
    this.stride = stride;
  }

  /** The attention module variants put after bn3 (registered there, so state dicts list it there). */
  protected makeAttention(_channels: number): Module | null {
    return null;
  }

  forward(x: Tensor): Tensor {
    let out = relu(this.bn1.forward(this.conv1.forward(x)));
    out = relu(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    if (this.se) out = this.se.forward(out) as Tensor;
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return relu(add(out, identity));
  }
}

export type ResidualBlock = (new (inPlanes: number, planes: number, opts?: BlockOptions) => BasicBlock | Bottleneck) & { expansion: number };

export interface ResNetOptions extends ZooInitOptions {
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Start each block's last batch norm at zero, so every residual block begins as the identity (Goyal et al. 2017). */
  zeroInitResidual?: boolean;
  groups?: number;
  /** Width of each group of the bottleneck's 3x3 convolution (64 plain, 128 for Wide ResNet-50-2). */
  widthPerGroup?: number;
}

export const RESNET_OPTIONS = optionNames<ResNetOptions>({
  numClasses: 1, inChannels: 1, zeroInitResidual: 1, groups: 1, widthPerGroup: 1, initWeights: 1,
});
/** What the ResNet class takes: the architecture (zeroInitResidual belongs to the factories' init scheme). */
const RESNET_CLASS_OPTIONS = classOptions(RESNET_OPTIONS, "zeroInitResidual");

export class ResNet extends Module {
  /** The stem's conv → batch norm (features() calls it as a chain), for nb.nn.fuse. */
  static readonly fusableRuns = [["conv1", "bn1"]];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear;
  private _inPlanes = 64;
  private readonly _groups: number;
  private readonly _baseWidth: number;

  /** `new ResNet(...)` gets PyTorch's default layer initialisation; resnet18…152 use torchvision's scheme. */
  constructor(block: ResidualBlock, layers: readonly [number, number, number, number], opts: Omit<ResNetOptions, "initWeights" | "zeroInitResidual"> = {}) {
    super();
    checkOptions("ResNet", opts, RESNET_CLASS_OPTIONS, { ...ZOO_ADVICE, zeroInitResidual: "the factories (nb.models.resnet50({ zeroInitResidual: true }))" });
    this._groups = opts.groups ?? 1;
    this._baseWidth = opts.widthPerGroup ?? 64;
    this.conv1 = new Conv2d(opts.inChannels ?? 3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(64);
    this.relu = new ReLU();
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0], 1);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(512 * block.expansion, opts.numClasses ?? 1000);
  }

  private makeLayer(block: ResidualBlock, planes: number, blocks: number, stride: number): Sequential {
    const outPlanes = planes * block.expansion;
    const downsample = stride !== 1 || this._inPlanes !== outPlanes
      ? new Sequential(conv1x1(this._inPlanes, outPlanes, stride), new BatchNorm2d(outPlanes))
      : null;
    const shared = { groups: this._groups, baseWidth: this._baseWidth };
    const list: Module[] = [new block(this._inPlanes, planes, { ...shared, stride, downsample })];
    this._inPlanes = outPlanes;
    for (let i = 1; i < blocks; i++) list.push(new block(this._inPlanes, planes, shared));
    return new Sequential(...list);
  }

  /** Everything but the classifier: the pooled [N, 512·expansion] features ("CNN codes"). */
  features(x: Tensor): Tensor {
    let h = this.maxpool.forward(relu(this.bn1.forward(this.conv1.forward(x))));
    h = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(h))));
    return flatten(this.avgpool.forward(h), 1);
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.features(x));
  }
}

/** torchvision's ResNet initialisation: He-normal convolutions (fan-out), batch norms at 1/0, fc at PyTorch's default. */
export function resnetInit(model: ResNet, zeroInitResidual = false): void {
  noGrad(() => {
    kaimingConvs(model, "default");
    model.fc.resetParameters();
    if (!zeroInitResidual) return;
    for (const m of model.modules()) {
      if (m instanceof Bottleneck) m.bn3.weight?.fill_(0);
      else if (m instanceof BasicBlock) m.bn2.weight?.fill_(0);
    }
  });
}

/** A factory's ResNet: options checked, the architecture built, then (unless initWeights is false) torchvision's init. */
export function buildResNet(where: string, block: ResidualBlock, layers: readonly [number, number, number, number], opts: ResNetOptions): ResNet {
  checkOptions(where, opts, RESNET_OPTIONS, { ...ZOO_ADVICE, width_per_group: "widthPerGroup" });
  const { initWeights: _init, zeroInitResidual, ...arch } = opts;
  return constructModel(() => new ResNet(block, layers, arch), (m) => resnetInit(m, zeroInitResidual), opts);
}

export const resnet18 = (opts: ResNetOptions = {}): ResNet => buildResNet("resnet18", BasicBlock, [2, 2, 2, 2], opts);
export const resnet34 = (opts: ResNetOptions = {}): ResNet => buildResNet("resnet34", BasicBlock, [3, 4, 6, 3], opts);
export const resnet50 = (opts: ResNetOptions = {}): ResNet => buildResNet("resnet50", Bottleneck, [3, 4, 6, 3], opts);
export const resnet101 = (opts: ResNetOptions = {}): ResNet => buildResNet("resnet101", Bottleneck, [3, 4, 23, 3], opts);
export const resnet152 = (opts: ResNetOptions = {}): ResNet => buildResNet("resnet152", Bottleneck, [3, 8, 36, 3], opts);
/** Wide ResNet-50-2 (Zagoruyko & Komodakis 2016): ResNet-50 with bottlenecks twice as wide inside. */
export const wideResnet50_2 = (opts: ResNetOptions = {}): ResNet => buildResNet("wideResnet50_2", Bottleneck, [3, 4, 6, 3], { ...opts, widthPerGroup: 128 });
