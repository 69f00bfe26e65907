// Fused layer blocks: the modules the fusion pass (nn/fuse.ts) puts in place of a run of plain
// layers, as torch.ao's ConvReLU2d stands for Conv2d → ReLU. Each computes exactly what its run
// computes — values and gradients, bit for bit — in fewer kernels. They hold the original layers'
// parameters (the same Parameter objects) under the first layer's field names, so a fused model's
// state dict and optimizer see the same tensors as the unfused one.

import type { Tensor } from "../tensor/tensor.js";
import { conv2dReluMaxPool2d } from "../ops/conv-relu-pool.js";
import { reluMaxPool1d, reluMaxPool2d, reluMaxPool3d } from "../ops/pool.js";
import { Module } from "./module.js";
import type { Parameter } from "./parameter.js";
import type { Conv2d } from "./conv.js";
import { runPool, type MaxPool2d, type MaxPoolNd } from "./pooling.js";

/** Conv2d → ReLU → MaxPool2d as one op (conv2dReluMaxPool2d: the conv's output is never written where the backend has the kernel). */
export class ConvReLUMaxPool2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly _conv: Conv2d;
  private readonly _pool: MaxPool2d;

  constructor(conv: Conv2d, pool: MaxPool2d) {
    super();
    if (conv.paddingMode !== "zeros") throw new RangeError(`ConvReLUMaxPool2d: the conv must pad with zeros, got paddingMode "${conv.paddingMode}"`);
    this.weight = conv.weight;
    this.bias = conv.bias;
    this._conv = conv;
    this._pool = pool;
    this.training = conv.training;
  }

  /** The layers this block stands for. */
  get conv(): Conv2d {
    return this._conv;
  }
  get pool(): MaxPool2d {
    return this._pool;
  }

  forward(x: Tensor): Tensor {
    const conv = this._conv, pool = this._pool;
    conv.checkInput(x);
    const convOpts = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
    const poolOpts = { stride: pool.stride, padding: pool.padding, dilation: pool.dilation, ceilMode: pool.ceilMode };
    return runPool(this, 2, x, () => conv2dReluMaxPool2d(x, this.weight, this.bias, convOpts, pool.kernelSize, poolOpts));
  }

  override extraRepr(): string {
    return `${this._conv.extraRepr()}; ReLU; MaxPool2d(${this._pool.extraRepr()})`;
  }
}

const RELU_POOLS = [reluMaxPool1d, reluMaxPool2d, reluMaxPool3d];

/** ReLU → MaxPool1d/2d/3d as one pooling kernel: maxPool(relu(x)), one pass over the activations fewer each way. */
export class ReLUMaxPool extends Module {
  private readonly _pool: MaxPoolNd;

  constructor(pool: MaxPoolNd) {
    super();
    this._pool = pool;
    this.training = pool.training;
  }

  get pool(): MaxPoolNd {
    return this._pool;
  }

  forward(x: Tensor): Tensor {
    const p = this._pool;
    const nd = p.kernelSize.length;
    const opts = { stride: p.stride, padding: p.padding, dilation: p.dilation, ceilMode: p.ceilMode };
    return runPool(this, nd, x, () => RELU_POOLS[nd - 1](x, p.kernelSize, opts));
  }

  override extraRepr(): string {
    return `ReLU; ${this._pool.constructor.name}(${this._pool.extraRepr()})`;
  }
}
