// FrozenBatchNorm2d (torchvision.ops.misc): batch norm whose statistics and affine parameters are
// buffers, never trained nor updated: y = x·scale + shift with scale = weight / sqrt(var + eps),
// shift = bias − mean·scale. Detection backbones use it because their batches are too small to
// estimate statistics. torchvision's default eps is 1e-5; its COCO Faster R-CNN weights were
// trained with eps 0 (torchvision sets it with overwrite_eps after loading them).

import { Tensor } from "../tensor/tensor.js";
import { ones, zeros } from "../tensor/creation.js";
import { Module } from "../nn/module.js";
import { add, mul, rsqrt, sub } from "../ops/elementwise.js";
import { formatShape } from "../core/shape.js";

export class FrozenBatchNorm2d extends Module {
  declare readonly weight: Tensor;
  declare readonly bias: Tensor;
  declare readonly running_mean: Tensor;
  declare readonly running_var: Tensor;
  eps: number;
  readonly numFeatures: number;

  constructor(numFeatures: number, eps = 1e-5) {
    super();
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.registerBuffer("weight", ones([numFeatures]));
    this.registerBuffer("bias", zeros([numFeatures]));
    this.registerBuffer("running_mean", zeros([numFeatures]));
    this.registerBuffer("running_var", ones([numFeatures]));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw this.layerError(`FrozenBatchNorm2d: expected input [N, ${this.numFeatures}, H, W], got ${formatShape(x.shape)}`);
    }
    const C = this.numFeatures;
    const scale = mul(this.weight, rsqrt(add(this.running_var, this.eps)));
    const shift = sub(this.bias, mul(this.running_mean, scale));
    return add(mul(x, scale.reshape([1, C, 1, 1])), shift.reshape([1, C, 1, 1]));
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}`;
  }
}

/** Replace every BatchNorm2d-like child (anything with running statistics) of `model` by a FrozenBatchNorm2d holding its values. */
export function freezeBatchNorms(model: Module, isBatchNorm: (m: Module) => boolean): void {
  for (const [, parent] of model.namedModules()) {
    for (const [name, child] of parent.namedChildren()) {
      if (!isBatchNorm(child)) continue;
      const bn = child as unknown as { weight: Tensor | null; bias: Tensor | null; running_mean: Tensor | null; running_var: Tensor | null; eps: number; numFeatures?: number; num_features?: number };
      const frozen = new FrozenBatchNorm2d(bn.running_mean?.shape[0] ?? bn.weight!.shape[0], bn.eps ?? 1e-5);
      frozen.loadStateDict(new Map([
        ...(bn.weight ? [["weight", bn.weight.detach()] as [string, Tensor]] : []),
        ...(bn.bias ? [["bias", bn.bias.detach()] as [string, Tensor]] : []),
        ...(bn.running_mean ? [["running_mean", bn.running_mean] as [string, Tensor]] : []),
        ...(bn.running_var ? [["running_var", bn.running_var] as [string, Tensor]] : []),
      ]), { strict: false });
      parent.addModule(name, frozen);
    }
  }
}
