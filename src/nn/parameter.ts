// A Parameter is a leaf tensor a Module owns and an optimizer updates.

import { Tensor } from "../tensor/tensor.js";

export class Parameter extends Tensor {
  /** Wrap data (sharing its storage) as a trainable leaf. */
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage.retain(), [...data.shape], [...data.strides], data.offset, true);
    if (requiresGrad) this.requiresGrad = true;
  }
}

export function isParameter(v: unknown): v is Parameter {
  return v instanceof Parameter;
}
