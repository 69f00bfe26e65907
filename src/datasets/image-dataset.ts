// What the built-in image datasets return: a TensorDataset of float32 [N, C, H, W] images in
// [0, 1] and int32 [N] labels, with the class names.

import { TensorDataset } from "../data/dataset.js";
import type { Tensor } from "../tensor/tensor.js";

export class ImageDataset extends TensorDataset {
  /** Class names, indexed by label. */
  readonly classes: readonly string[];

  constructor(x: Tensor, y: Tensor, classes: readonly string[]) {
    super(x, y);
    this.classes = classes;
  }
}
